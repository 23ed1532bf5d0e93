#[psyne::message]
struct Everything {
    a: usize,
    b: bool,
    c: char,
    d: Vec<u8>,
    e: String,
    f: Box<u32>,
    g: Option<u32>,
    h: &'static u32,
    i: *const u8,
    j: (u32, u32),
    k: [isize; 4],
}

fn main() {}
