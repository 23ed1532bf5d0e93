enum Side {
    Buy,
    Sell,
}
::core::compile_error! {
    "`#[psyne::message]` can only be applied to a struct"
}
