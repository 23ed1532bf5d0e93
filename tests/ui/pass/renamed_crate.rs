extern crate psyne as messaging;

#[messaging::message(crate = "messaging")]
pub struct Renamed {
    pub a: u64,
    pub data: [u64],
}

fn main() {
    assert_eq!(<Renamed as messaging::Message>::HEADER_SIZE, 8);
}
