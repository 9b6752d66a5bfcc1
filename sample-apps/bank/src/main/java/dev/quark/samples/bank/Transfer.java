package dev.quark.samples.bank;

/**
 * A transfer as its source account answers it: the money has left the source; the credit of the target is an
 * outbox message on its way.
 *
 * @param id the transfer id, in both accounts' ledgers
 * @param from the account debited
 * @param to the account credited
 * @param amount the amount
 * @param balance the balance of {@code from} after the transfer
 */
public record Transfer(String id, String from, String to, long amount, long balance) {
}
