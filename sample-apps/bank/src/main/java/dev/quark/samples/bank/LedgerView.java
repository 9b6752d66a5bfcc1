package dev.quark.samples.bank;

/**
 * An account's ledger at a version, as the API answers it.
 *
 * @param account the account id
 * @param version the version: how many events the ledger had
 * @param latestVersion the ledger's latest version
 * @param state the ledger at {@code version}
 */
public record LedgerView(String account, long version, long latestVersion, LedgerState state) {
}
