struct Bad {
    a: usize,
}
::core::compile_error! {
    "unknown `psyne` argument `nmae`; expected one of: `name`, `version`, `id`, `crate`, `max_elems`, `fingerprint`, `size`, `validate`, `header`"
}
::core::compile_error! {
    "`usize` has a platform-dependent size; use `u32` or `u64`"
}
::core::compile_error! {
    "`len` must be one `u16`/`u32`/`u64` field of a message with a trailing array"
}
