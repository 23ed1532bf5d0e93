fn main() {
    #[psyne::message]
    struct Local {
        a: u16,
        b: [u8; 2],
    }
    let (mut tx, mut rx) = psyne::channel::<Local>().capacity(2).spsc().unwrap();
    tx.try_send(Local { a: 1, b: [2, 3] }).unwrap();
    assert_eq!(rx.try_recv().unwrap().b, [2, 3]);
}
