#[psyne::message(name = "geo.Point")]
#[derive(Clone, Copy)]
pub struct Point {
    pub x: f32,
    pub y: f32,
}

#[psyne::message(name = "geo.Polyline")]
pub struct Polyline {
    pub origin: Point,
    pub le_count: psyne::message::le::U32,
    pub _reserved: [u8; 4],
    pub points: [Point],
}

fn main() {
    use psyne::Message;
    assert_eq!(Polyline::SCHEMA.fields()[0].fingerprint(), Point::FINGERPRINT);
    assert_eq!(Polyline::byte_len(2), 16 + 16);
}
