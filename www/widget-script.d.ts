// Types for hosts of the ChatHub operator chat panel. The panel is configured by attributes of its
// script element and reports through CustomEvents dispatched (bubbling) on that element.

export interface ChatHubMessage {
  id: number;
  chatId: number;
  message: string | null;
  /** 0 operator, 1 client, 2 system. */
  author: 0 | 1 | 2;
  media: { name?: string; format?: string; url?: string; type: number } | null;
  /** 0 New, 1 Success (delivered), 2 Rejected, 3 Read. */
  status: 0 | 1 | 2 | 3;
  createdAt: string;
  clientMessageId: string | null;
}

export interface ChatHubEventMap {
  'chathub:ready': CustomEvent<undefined>;
  'chathub:error': CustomEvent<{ code: string; message: string }>;
  'chathub:message': CustomEvent<ChatHubMessage>;
  'chathub:connection': CustomEvent<{ state: 'connecting' | 'connected' | 'reconnecting' }>;
  'chathub:destroyed': CustomEvent<undefined>;
}

declare global {
  interface HTMLElementEventMap extends ChatHubEventMap {}
}
