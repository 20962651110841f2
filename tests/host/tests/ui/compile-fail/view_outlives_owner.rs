// SPDX-License-Identifier: GPL-2.0

//! A view borrows what it views: it cannot outlive it.

use kernel::io::{Io, SysMem};

fn main() {
    let view;
    {
        let mut buf = [0u32; 4];
        view = SysMem::from_mut(&mut buf);
    }
    let _ = view.size();
}
