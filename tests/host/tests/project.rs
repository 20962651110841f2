// SPDX-License-Identifier: GPL-2.0

//! Projection: every step of the `project!` grammar through `io_project!`, `io_read!` and
//! `io_write!`, with each failure mode.

mod common;

use common::mmio_of;
use kernel::io::{io_project, io_read, io_write, Io, SysMem};
use kernel::prelude::*;

#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, FromBytes, IntoBytes)]
struct Queue {
    head: u32,
    tail: u32,
    ring: [u16; 8],
}

#[repr(C)]
struct Device {
    ctrl: u32,
    pair: (u8, u8, u16),
    queues: [Queue; 3],
}

fn device() -> Device {
    Device {
        ctrl: 0,
        pair: (1, 2, 3),
        queues: [Queue {
            head: 0,
            tail: 0,
            ring: [0; 8],
        }; 3],
    }
}

#[test]
fn field_steps_select_fields_and_tuple_fields() {
    let mut dev = device();
    let io = SysMem::from_mut(&mut dev);
    io_write!(io, .ctrl, 0x8000_0001);
    assert_eq!(io_read!(io, .pair.1), 2);
    io_write!(io, .pair.2, 0x4242);
    let queue = io_project!(io, .queues[build: 1]);
    io_write!(queue, .tail, 5);
    assert_eq!(dev.ctrl, 0x8000_0001);
    assert_eq!(dev.pair, (1, 2, 0x4242));
    assert_eq!(dev.queues[1].tail, 5);
}

#[test]
fn projected_views_point_at_the_selected_place() {
    let mut dev = device();
    let base = core::ptr::from_mut(&mut dev).addr();
    let io = SysMem::from_mut(&mut dev);
    let ring = io_project!(io, .queues[build: 2].ring);
    let offset = core::mem::offset_of!(Device, queues)
        + 2 * size_of::<Queue>()
        + core::mem::offset_of!(Queue, ring);
    assert_eq!(ring.as_ptr().addr() - base, offset);
    assert_eq!(ring.size(), 16);
    let slice = io_project!(ring, [build: 2..6]);
    assert_eq!(slice.len(), 4);
    assert_eq!(slice.as_ptr().addr(), ring.as_ptr().addr() + 4);
}

#[test]
fn build_steps_take_indices_and_every_range_form() {
    let mut words = [0u16; 8];
    let io = SysMem::from_mut(&mut words);
    io_write!(io, [build: 7], 7);
    assert_eq!(io_project!(io, [build: 1..3]).len(), 2);
    assert_eq!(io_project!(io, [build: ..5]).len(), 5);
    assert_eq!(io_project!(io, [build: 6..]).len(), 2);
    assert_eq!(io_project!(io, [build: ..]).len(), 8);
    io_write!(io, [build: 2..4][build: 1], 3);
    let i = 5;
    io_write!(io, [build: i], 5);
    assert_eq!(words, [0, 0, 0, 3, 0, 5, 0, 7]);
}

#[test]
#[should_panic(expected = "build_error")]
fn build_index_on_a_slice_is_checked_by_the_optimizer() {
    let mut words = [0u16; 4];
    let io = SysMem::from_mut(&mut words[..]);
    // A slice's length is not a constant: the kernel relies on the optimizer proving the index,
    // and fails to link otherwise. The host stand-in panics.
    io_write!(io, [build: 4], 1);
}

fn try_project(io: SysMem<'_, [Queue; 3]>, q: usize, slot: usize) -> Result<u16> {
    Ok(io_read!(io, [try: q].ring[try: slot]))
}

#[test]
fn try_steps_return_erange_out_of_bounds() {
    let mut queues = [Queue {
        head: 0,
        tail: 0,
        ring: [9; 8],
    }; 3];
    let io = SysMem::from_mut(&mut queues);
    assert_eq!(try_project(io, 2, 7), Ok(9));
    assert_eq!(try_project(io, 3, 0), Err(ERANGE));
    assert_eq!(try_project(io, 0, 8), Err(ERANGE));
    assert_eq!(try_project(io, usize::MAX, 0), Err(ERANGE));
    let ranges = |a: usize, b: usize| -> Result<usize> { Ok(io_project!(io, [try: a..b]).len()) };
    assert_eq!(ranges(1, 3), Ok(2));
    assert_eq!(ranges(2, 4), Err(ERANGE));
    assert_eq!(ranges(3, 1), Err(ERANGE));
    let from = |a: usize| -> Result<usize> { Ok(io_project!(io, [try: a..]).len()) };
    assert_eq!(from(3), Ok(0));
    assert_eq!(from(4), Err(ERANGE));
    let to = |b: usize| -> Result<usize> { Ok(io_project!(io, [try: ..b]).len()) };
    assert_eq!(to(4), Err(ERANGE));
}

#[test]
fn panic_steps_accept_indices_in_bounds() {
    let mut words = [0u32; 4];
    let io = SysMem::from_mut(&mut words[..]);
    let i = 3;
    io_write!(io, [panic: i], 0x33);
    assert_eq!(io_project!(io, [panic: 1..i]).len(), 2);
    assert_eq!(words[3], 0x33);
}

#[test]
#[should_panic]
fn panic_steps_panic_out_of_bounds() {
    let mut words = [0u32; 4];
    let io = SysMem::from_mut(&mut words[..]);
    let i = 4;
    io_write!(io, [panic: i], 1);
}

#[test]
fn projection_works_on_mmio_and_keeps_the_backend() {
    let mut dev = device();
    let io = mmio_of(&mut dev);
    let doorbell: kernel::io::Mmio<'_, u32> = io_project!(io, .queues[build: 0].head);
    doorbell.write_val(1);
    let relaxed: kernel::io::RelaxedMmio<'_, u16> =
        io_project!(io.relaxed(), .queues[build: 0].ring[build: 3]);
    relaxed.write_val(0x303);
    assert_eq!(dev.queues[0].head, 1);
    assert_eq!(dev.queues[0].ring[3], 0x303);
}

#[test]
fn whole_structures_move_with_copy_read_and_copy_write() {
    let mut dev = device();
    let q = Queue {
        head: 1,
        tail: 2,
        ring: [3, 4, 5, 6, 7, 8, 9, 10],
    };
    for io_write_queue in [0usize, 2] {
        let io = SysMem::from_mut(&mut dev);
        io_project!(io, .queues[panic: io_write_queue]).copy_write(q);
    }
    {
        let io = mmio_of(&mut dev);
        assert_eq!(io_project!(io, .queues[build: 2]).copy_read(), q);
        io_project!(io, .queues[build: 1]).copy_write(Queue { head: 7, ..q });
    }
    assert_eq!(dev.queues[0], q);
    assert_eq!(dev.queues[1].head, 7);
    assert_eq!(dev.queues[2], q);
}

#[test]
fn io_write_takes_any_value_expression() {
    let mut dev = device();
    let io = SysMem::from_mut(&mut dev);
    let f = || -> Result {
        io_write!(io, .queues[try: 1].ring[build: 0], u16::try_from(70_000u32).unwrap_or(0xffff));
        io_write!(io, .ctrl, [1u32, 2].iter().sum::<u32>() << 4);
        Ok(())
    };
    f().unwrap();
    assert_eq!(dev.queues[1].ring[0], 0xffff);
    assert_eq!(dev.ctrl, 0x30);
}
