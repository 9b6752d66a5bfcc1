package dev.quark.samples.bank;

/**
 * The outbox message that credits the target of a transfer ({@value BankDestinations#CREDITS}, keyed by the
 * target account).
 *
 * @param transferId the transfer id
 * @param from the account debited
 * @param amount the amount credited
 */
record TransferCredit(String transferId, String from, long amount) {
}
