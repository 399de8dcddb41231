//! What every handler shares: the store, the token signer, the flags, the hub's registry, the rate
//! limiter and the shutdown signal. Its own module so that sections need not import the router.

use std::num::NonZeroU32;
use std::sync::Arc;

use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use tokio::sync::watch;

use crate::auth::Jwt;
use crate::cli::ServeArgs;
use crate::hub::Hub;
use crate::store::Store;

#[derive(Clone)]
pub struct AppState {
    pub store: Store,
    pub jwt: Arc<Jwt>,
    pub config: Arc<ServeArgs>,
    pub hub: Arc<Hub>,
    pub limiter: Arc<DefaultKeyedRateLimiter<String>>,
    pub shutdown: watch::Receiver<bool>,
}

impl AppState {
    pub fn new(
        store: Store,
        jwt: Jwt,
        config: ServeArgs,
        shutdown: watch::Receiver<bool>,
    ) -> AppState {
        let per_second = NonZeroU32::new(config.rate_limit.max(1)).unwrap_or(NonZeroU32::MIN);
        AppState {
            store,
            jwt: Arc::new(jwt),
            config: Arc::new(config),
            hub: Arc::new(Hub::default()),
            limiter: Arc::new(RateLimiter::keyed(Quota::per_second(per_second))),
            shutdown,
        }
    }
}
