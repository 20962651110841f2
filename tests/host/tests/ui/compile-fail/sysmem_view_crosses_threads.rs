// SPDX-License-Identifier: GPL-2.0

//! A system-memory view is a volatile, non-atomic handle to Rust-owned memory: two threads
//! writing through copies of it would race. Views of system memory stay on their thread.

use kernel::io::{io_write, SysMem};

fn main() {
    let mut counter = 0u32;
    let io = SysMem::from_mut(&mut counter);
    std::thread::scope(|s| {
        s.spawn(move || io_write!(io, , 1));
        io_write!(io, , 2);
    });
}
