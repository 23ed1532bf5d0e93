#[psyne::message(name = "ui.Tick", version = 3, id = 42, size = 24)]
#[derive(Debug, Clone, Copy)]
pub struct Tick {
    pub ts_ns: u64,
    #[psyne(offset = 8)]
    pub price: f64,
    #[psyne(rename = "quantity")]
    pub qty: u32,
    pub side: u32,
}

fn main() {
    use psyne::Message;
    assert_eq!((Tick::VERSION, Tick::ID, Tick::HEADER_SIZE), (3, 42, 24));
    let (mut tx, mut rx) = psyne::channel::<Tick>().capacity(4).spsc().unwrap();
    tx.try_send(Tick { ts_ns: 1, price: 2.0, qty: 3, side: 0 }).unwrap();
    assert_eq!(rx.try_recv().unwrap().qty, 3);
}
