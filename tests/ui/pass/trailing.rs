#[psyne::message(name = "ml.Embedding", version = 1, max_elems = 4096)]
pub struct Embedding {
    pub batch: u32,
    pub layer: u32,
    #[psyne(len)]
    pub len: u32,
    pub _reserved: u32,
    pub data: [f32],
}

fn main() {
    use psyne::Message;
    assert_eq!(Embedding::MAX_ELEMS, 4096);
    let (mut tx, mut rx) = psyne::channel::<Embedding>().bytes(1 << 16).spsc().unwrap();
    let mut e = tx.try_reserve_len(8).unwrap();
    e.data.fill(1.0);
    e.commit();
    let e = rx.try_recv().unwrap();
    assert_eq!((e.len, e.elems(), e.header().len), (8, 8, 8));
}
