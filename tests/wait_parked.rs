//! A parked side uses no CPU: the thread CPU clock of a receiver blocked over
//! 200 ms of silence stays near zero (the bounded spin phase is 20 µs).

use std::time::Duration;

use rustix::time::{ClockId, clock_gettime};

fn thread_cpu() -> Duration {
    let t = clock_gettime(ClockId::ThreadCPUTime);
    Duration::new(t.tv_sec as u64, t.tv_nsec as u32)
}

#[test]
fn blocked_receiver_uses_no_cpu() {
    let (mut tx, mut rx) = psyne::channel::<u64>().capacity(4).spsc().unwrap();
    let receiver = std::thread::spawn(move || {
        let before = thread_cpu();
        let m = rx.recv_blocking().unwrap();
        (*m, thread_cpu() - before)
    });
    std::thread::sleep(Duration::from_millis(200));
    tx.send_blocking(42).unwrap();
    let (value, cpu) = receiver.join().unwrap();
    assert_eq!(value, 42);
    // A spinning receiver would burn ~200 ms here.
    assert!(cpu < Duration::from_millis(20), "parked receiver used {cpu:?} of CPU");
}

#[test]
fn blocked_sender_uses_no_cpu() {
    let (mut tx, mut rx) = psyne::channel::<u64>().capacity(1).spsc().unwrap();
    tx.send_blocking(1).unwrap();
    let sender = std::thread::spawn(move || {
        let before = thread_cpu();
        tx.send_blocking(2).unwrap();
        thread_cpu() - before
    });
    std::thread::sleep(Duration::from_millis(200));
    assert_eq!(*rx.recv_blocking().unwrap(), 1);
    let cpu = sender.join().unwrap();
    assert_eq!(*rx.recv_blocking().unwrap(), 2);
    assert!(cpu < Duration::from_millis(20), "parked sender used {cpu:?} of CPU");
}

#[test]
fn busy_spin_does_use_cpu() {
    // The measurement can tell the difference: a busy-spinning receiver
    // burns its CPU while waiting.
    let (mut tx, mut rx) = psyne::channel::<u64>()
        .capacity(4)
        .wait_strategy(psyne::WaitStrategy::BusySpin)
        .spsc()
        .unwrap();
    let receiver = std::thread::spawn(move || {
        let before = thread_cpu();
        drop(rx.recv_blocking().unwrap());
        thread_cpu() - before
    });
    std::thread::sleep(Duration::from_millis(200));
    tx.send_blocking(1).unwrap();
    let cpu = receiver.join().unwrap();
    assert!(cpu > Duration::from_millis(50), "spinning receiver used only {cpu:?}");
}
