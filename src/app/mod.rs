//! The application's assembly: the HTTP server with every adapter's routes mounted, the
//! background tasks, and the process lifecycle: bind, serve,
//! and on SIGTERM drain (`/readyz` answers 503 at once while requests are still served for
//! `drain_seconds`, so load balancers stop sending), then stop accepting and let in-flight
//! requests finish, up to [`SHUTDOWN_GRACE_SECS`]. SIGINT skips the drain period. `/metrics`
//! is served on a listener of its own (`GATEHOUSE_METRICS_BIND`), never on the public one.

pub(crate) mod health;
mod serve;

pub use serve::main;

use std::{
    net::TcpListener,
    sync::{
        atomic::{AtomicBool, Ordering},
        Arc,
    },
    time::Duration,
};

use actix_web::{dev::Server, middleware::from_fn, web, App, HttpServer};

use crate::{
    adapters,
    config::Settings,
    service::AccessService,
    storage::Store,
    web::{error, metrics, request_context, ApiError, AppState},
};

/// Seconds in-flight requests get to finish after a shutdown signal.
pub const SHUTDOWN_GRACE_SECS: u64 = 30;

/// A bound, running (once awaited) Gatehouse HTTP server.
pub struct Application {
    port: u16,
    server: Server,
    /// The metrics listener, when `GATEHOUSE_METRICS_BIND` asks for one: (port, server).
    metrics: Option<(u16, Server)>,
    /// Background work of this process: revision poller, webhook deliveries, metadata
    /// refresh, purging expired rows.
    tasks: Vec<tokio::task::JoinHandle<()>>,
    draining: Arc<AtomicBool>,
}

/// Stops a running [`Application`]: the server (in-flight requests finish) and its
/// background tasks. What a process restart does, for tests.
pub struct Stopper {
    server: actix_web::dev::ServerHandle,
    metrics: Option<actix_web::dev::ServerHandle>,
    tasks: Vec<tokio::task::AbortHandle>,
}

impl Stopper {
    pub async fn stop(self) {
        for task in &self.tasks {
            task.abort();
        }
        if let Some(metrics) = &self.metrics {
            metrics.stop(true).await;
        }
        self.server.stop(true).await;
    }
}

impl Application {
    /// Binds the listener (port 0 picks a free port) and prepares the server over `store`.
    pub fn build(mut settings: Settings, store: Store) -> std::io::Result<Self> {
        let listener = TcpListener::bind(settings.bind)?;
        let bound = listener.local_addr()?;
        let port = bound.port();
        // A public URL derived from a port-0 bind names the port actually bound.
        if settings.public_url == crate::config::default_public_url(settings.bind) {
            settings.public_url = crate::config::default_public_url(bound);
        }
        let metrics_listener = match settings.network.metrics_bind {
            Some(addr) => Some(TcpListener::bind(addr)?),
            None => None,
        };
        let access = AccessService::new(store.clone());
        let outbound = crate::net::outbound::Outbound::new(settings.network.outbound_allow.clone());
        let idle = chrono::Duration::minutes(settings.sign_in.session_idle_minutes);
        let tasks = vec![
            access.cache.spawn_poller(),
            crate::service::webhooks::Dispatcher::new(store.clone(), outbound.clone()).spawn(),
            crate::service::sso::spawn_refresher(store.clone(), outbound.clone()),
            crate::service::sso::spawn_certificate_watch(store.clone()),
            crate::service::purge::spawn_purger(
                store.clone(),
                crate::storage::purge::PurgeAges {
                    session_idle: idle,
                    activity_log: chrono::Duration::days(i64::from(settings.activity_log_days)),
                },
            ),
        ];
        let saml_limiter = std::sync::Arc::new(crate::net::rate_limit::RateLimiter::per_minute(
            settings.network.saml_requests_per_minute,
        ));
        let draining = Arc::new(AtomicBool::new(false));
        let state = web::Data::new(AppState {
            draining: draining.clone(),
            dns: crate::service::domains::DnsVerifier::new(settings.dns_server),
            store,
            settings,
            access,
            throttle: Default::default(),
            outbound,
            saml_limiter,
        });
        let metrics = match metrics_listener {
            Some(listener) => {
                let port = listener.local_addr()?.port();
                Some((port, serve_metrics(listener, state.clone())?))
            }
            None => None,
        };
        let server = serve(listener, state)?;
        Ok(Self {
            port,
            server,
            metrics,
            tasks,
            draining,
        })
    }

    /// A handle that stops this application (server and background tasks).
    pub fn stopper(&self) -> Stopper {
        Stopper {
            server: self.server.handle(),
            metrics: self.metrics.as_ref().map(|(_, m)| m.handle()),
            tasks: self.tasks.iter().map(|t| t.abort_handle()).collect(),
        }
    }

    /// Serves until SIGTERM or SIGINT. SIGTERM drains first: `/readyz` answers 503 at once
    /// and requests are still served for `drain`, then the listener closes and in-flight
    /// requests get [`SHUTDOWN_GRACE_SECS`]. SIGINT, or a second signal, skips the drain.
    pub async fn run_until_signalled(
        self,
        mut signals: ShutdownSignals,
        drain: Duration,
    ) -> std::io::Result<()> {
        let handle = self.server.handle();
        let draining = self.draining.clone();
        let watcher = tokio::spawn(async move {
            let first = signals.next().await;
            draining.store(true, Ordering::SeqCst);
            if first == "SIGTERM" && !drain.is_zero() {
                tracing::info!(
                    signal = first,
                    drain_seconds = drain.as_secs(),
                    "draining: /readyz answers 503, requests are still served"
                );
                tokio::select! {
                    _ = tokio::time::sleep(drain) => {}
                    again = signals.next() => tracing::info!(signal = again, "drain cut short"),
                }
            }
            tracing::info!(
                signal = first,
                grace_seconds = SHUTDOWN_GRACE_SECS,
                "stopping: no new connections, in-flight requests finish"
            );
            handle.stop(true).await;
        });
        let outcome = self.run_until_stopped().await;
        watcher.abort();
        outcome
    }

    /// The port actually bound.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The metrics listener's port, when there is one.
    pub fn metrics_port(&self) -> Option<u16> {
        self.metrics.as_ref().map(|(port, _)| *port)
    }

    /// Serves until a [`Stopper`] stops it (tests; signals are not handled here).
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        let metrics = self.metrics.map(|(_, server)| {
            let handle = server.handle();
            tokio::spawn(server);
            handle
        });
        let outcome = self.server.await;
        if let Some(metrics) = metrics {
            metrics.stop(true).await;
        }
        for task in &self.tasks {
            task.abort();
        }
        outcome
    }
}

fn serve(listener: TcpListener, data: web::Data<AppState>) -> std::io::Result<Server> {
    let max_body = data.settings.max_body_bytes;
    let server = HttpServer::new(move || {
        App::new()
            .wrap(from_fn(request_context::request_context))
            .app_data(data.clone())
            .app_data(
                web::JsonConfig::default()
                    .limit(max_body)
                    .error_handler(error::json_error_handler),
            )
            .app_data(web::PayloadConfig::new(max_body))
            .app_data(web::QueryConfig::default().error_handler(error::query_error_handler))
            .app_data(web::PathConfig::default().error_handler(error::path_error_handler))
            .configure(health::routes)
            .service(web::scope("/v1").configure(adapters::api::routes))
            .configure(adapters::scim::routes::routes)
            .configure(adapters::auth::routes::routes)
            .configure(adapters::auth::invites::routes)
            .configure(adapters::console::routes)
            .configure(adapters::saml::routes::routes)
            .default_service(web::to(not_found))
    })
    .shutdown_timeout(SHUTDOWN_GRACE_SECS)
    // Signals are ours (see `run_until_signalled`): actix would stop accepting at once.
    .disable_signals()
    // IdPs and services reuse connections; a short keep-alive makes their next request race
    // the server closing it.
    .keep_alive(std::time::Duration::from_secs(60))
    .listen(listener)?
    .run();
    Ok(server)
}

/// The metrics listener: `/metrics` and nothing else.
fn serve_metrics(listener: TcpListener, data: web::Data<AppState>) -> std::io::Result<Server> {
    let server = HttpServer::new(move || {
        App::new()
            .app_data(data.clone())
            .configure(metrics::routes)
            .default_service(web::to(not_found))
    })
    .workers(1)
    .disable_signals()
    .shutdown_timeout(5)
    .listen(listener)?
    .run();
    Ok(server)
}

/// SIGTERM and SIGINT, caught from the moment this is made: make it before announcing that
/// the server is up, so a signal sent right after the announcement drains instead of killing.
pub struct ShutdownSignals {
    term: tokio::signal::unix::Signal,
    int: tokio::signal::unix::Signal,
}

impl ShutdownSignals {
    pub fn listen() -> std::io::Result<Self> {
        use tokio::signal::unix::{signal, SignalKind};
        Ok(Self {
            term: signal(SignalKind::terminate())?,
            int: signal(SignalKind::interrupt())?,
        })
    }

    /// The name of the next signal.
    async fn next(&mut self) -> &'static str {
        tokio::select! {
            _ = self.term.recv() => "SIGTERM",
            _ = self.int.recv() => "SIGINT",
        }
    }
}

async fn not_found(req: actix_web::HttpRequest) -> Result<actix_web::HttpResponse, ApiError> {
    Err(ApiError::NotFound(format!(
        "route {} {}",
        req.method(),
        req.path()
    )))
}
