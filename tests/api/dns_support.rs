//! A real authoritative DNS server on 127.0.0.1 for domain verification: hickory-server's
//! in-memory zone behind a UDP (and TCP) listener on a random port. One runs per test binary,
//! on a thread of its own (each test has its own runtime); every test server asks it
//! (`dns_server` in `helpers::test_settings`), and tests publish TXT records into it under
//! names of their own.

use std::{net::SocketAddr, str::FromStr, sync::Arc};

use hickory_server::{
    net::runtime::TokioRuntimeProvider,
    proto::rr::{
        rdata::{SOA, TXT},
        LowerName, Name, RData, Record,
    },
    store::in_memory::InMemoryZoneHandler,
    zone_handler::{AxfrPolicy, Catalog, ZoneType},
    Server,
};

/// The zone every test domain lives under (`victim.test`, `evil.test`, …): `test.`, which no
/// real resolver would answer, so nothing can leak to the outside.
const ZONE: &str = "test.";

/// A running DNS server with the `test.` zone.
pub struct TestDns {
    pub address: SocketAddr,
    zone: Arc<InMemoryZoneHandler<TokioRuntimeProvider>>,
    serial: std::sync::atomic::AtomicU32,
}

/// The binary's DNS server, started on first use.
pub fn test_dns() -> &'static TestDns {
    static DNS: std::sync::OnceLock<TestDns> = std::sync::OnceLock::new();
    DNS.get_or_init(|| {
        let (sender, receiver) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("DNS runtime");
            runtime.block_on(async move {
                let (dns, server) = TestDns::start().await;
                sender.send(dns).expect("hand over the DNS server");
                let _ = server.await;
            });
        });
        receiver.recv().expect("DNS server started")
    })
}

impl TestDns {
    /// Starts the server (UDP, and TCP when the same port is free, on a random loopback port).
    async fn start() -> (TestDns, tokio::task::JoinHandle<()>) {
        let origin = Name::from_str(ZONE).unwrap();
        let zone = Arc::new(InMemoryZoneHandler::<TokioRuntimeProvider>::empty(
            origin.clone(),
            ZoneType::Primary,
            AxfrPolicy::Deny,
        ));
        let soa = SOA::new(
            Name::from_str("ns.test.").unwrap(),
            Name::from_str("hostmaster.test.").unwrap(),
            1,
            60,
            60,
            60,
            0,
        );
        zone.upsert(Record::from_rdata(origin.clone(), 0, RData::SOA(soa)), 1)
            .await;
        let mut catalog = Catalog::new();
        catalog.upsert(LowerName::new(&origin), vec![zone.clone()]);
        let udp = tokio::net::UdpSocket::bind("127.0.0.1:0").await.unwrap();
        let address = udp.local_addr().unwrap();
        let mut server = Server::new(catalog);
        server.register_socket(udp);
        // TCP on the same port when it is free (answers too large for UDP; ours never are).
        if let Ok(tcp) = tokio::net::TcpListener::bind(address).await {
            server.register_listener(tcp, std::time::Duration::from_secs(5), 65_535);
        }
        let handle = tokio::spawn(async move {
            let _ = server.block_until_done().await;
        });
        let dns = TestDns {
            address,
            zone,
            serial: 2.into(),
        };
        (dns, handle)
    }

    /// Publishes a TXT record (`name` without the trailing dot, e.g.
    /// `_gatehouse-challenge.victim.test`).
    pub async fn publish_txt(&self, name: &str, value: &str) {
        let name = Name::from_str(&format!("{name}.")).unwrap();
        let record = Record::from_rdata(name, 0, RData::TXT(TXT::new(vec![value.to_string()])));
        let serial = self
            .serial
            .fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        assert!(self.zone.upsert(record, serial).await, "publish {value}");
    }
}
