// Types for hosts of the ChatHub operator chat panel. A panel is configured by the attributes of its
// script element, reports through CustomEvents dispatched (bubbling) on that element, and is driven
// through the one global, window.ChatHub.

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

export type ChatHubConnectionState = 'connecting' | 'connected' | 'reconnecting' | 'offline' | 'expired' | 'invalid';

export interface ChatHubEventDetails {
  ready: undefined;
  error: { code: 'token_expired' | 'token_invalid' | 'unsupported_browser' | 'send_failed' | 'request_failed' | 'replies_failed' | string; message: string };
  unread: { count: number };
  message: ChatHubMessage;
  connection: { state: ChatHubConnectionState };
  destroyed: undefined;
}

export type ChatHubEventName = keyof ChatHubEventDetails | `chathub:${keyof ChatHubEventDetails}`;

/** A saved reply. `{client}` and `{operator}` in `text` are filled in when it is inserted. */
export interface ChatHubSavedReply {
  /** What the operator types after `/` to find it (with or without the `/`). */
  shortcut?: string;
  /** Shown in the list; defaults to the shortcut. */
  title?: string;
  text: string;
}

export interface ChatHubPanel {
  open(): Promise<void>;
  close(): Promise<void>;
  toggle(): Promise<void>;
  /** Unmounts the panel: DOM, socket, timers, listeners and requests. */
  destroy(): Promise<void>;
  /** Sets the script's token attribute; the panel reconnects and keeps its state. */
  setToken(token: string): void;
  /**
   * Sets the saved replies offered by `/` at the start of the composer, replacing those of the
   * `replies` attribute. Rejects (and changes nothing) for anything but a list of replies, or when
   * no panel of that id is mounted.
   */
  setReplies(replies: ChatHubSavedReply[]): Promise<void>;
  /** Subscribes to `ready`, `error`, `unread`, `message`, `connection` or `destroyed`; returns the unsubscribe. */
  on<K extends keyof ChatHubEventDetails>(
    event: K | `chathub:${K}`,
    listener: (detail: ChatHubEventDetails[K], event: CustomEvent<ChatHubEventDetails[K]>) => void,
  ): () => void;
  /** Resolves when connected; rejects with the error (`code` token_expired / token_invalid) for a bad token. */
  readonly ready: Promise<void>;
}

export interface ChatHubApi {
  /** The panel of the script element with this id (default `operator-chat-panel-script`). */
  get(id?: string): ChatHubPanel;
}

declare global {
  interface Window {
    ChatHub: ChatHubApi;
  }
  interface HTMLElementEventMap {
    'chathub:ready': CustomEvent<undefined>;
    'chathub:error': CustomEvent<ChatHubEventDetails['error']>;
    'chathub:unread': CustomEvent<ChatHubEventDetails['unread']>;
    'chathub:message': CustomEvent<ChatHubMessage>;
    'chathub:connection': CustomEvent<ChatHubEventDetails['connection']>;
    'chathub:destroyed': CustomEvent<undefined>;
  }
}
