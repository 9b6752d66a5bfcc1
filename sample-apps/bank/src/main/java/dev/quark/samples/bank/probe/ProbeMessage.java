package dev.quark.samples.bank.probe;

/**
 * One message of the outbox probe, keyed by {@code key}: the crash tests number the messages of a key in the order
 * they commit them, so that a consumer sees whether order per key held.
 *
 * @param key the message key
 * @param sequence its number among the messages of its key, as the caller gave it
 * @param transaction the caller's name for the transaction that enqueued it
 */
public record ProbeMessage(String key, long sequence, String transaction) {
}
