fn tensor_shape_ok(t: &TensorF32) -> bool {
    let rank = t.rank as usize;
    rank <= 8 && t.shape[..rank].iter().map(|&d| d as usize).product::<usize>() == t.data.len()
}

#[psyne::message(name = "ml.TensorF32", version = 1, validate = tensor_shape_ok)]
pub struct TensorF32 {
    pub rank: u32,
    pub shape: [u32; 8], // u32 dims keep alignment 4 = size_of::<f32>()
    #[psyne(len)]
    pub len: u32,
    pub data: [f32],
}

fn main() {
    #[repr(C, align(64))]
    struct Buf([u8; 256]);
    let mut buf = Buf([0; 256]);
    let t = TensorF32::init_in(&mut buf.0, 6).unwrap();
    t.rank = 2;
    t.shape[..2].copy_from_slice(&[2, 3]);
    assert!(TensorF32::view(&buf.0, 6).is_ok());
}
