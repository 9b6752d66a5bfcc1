package dev.quark.cluster.membership;

import java.time.Instant;

/**
 * The membership table of one cluster: the SPI behind membership, in the manner of Orleans' membership
 * table. Quark ships an in-memory, a Redis and a PostgreSQL implementation, which all pass the same contract
 * tests ({@code MembershipProviderContractTests} in {@code quark-testkit}).
 * <p>
 * The table has a version. {@link #write} and {@link #remove} are conditional on it: they succeed only when
 * the table still holds the version the caller read, raise it by one, and change nothing otherwise —
 * atomically with the check, so two silos acting on the same snapshot cannot overwrite each other's change;
 * the loser reads again and retries. {@link #heartbeat} alone is not versioned: silos beat every few seconds,
 * and versioning it would make every other write conflict.
 * <p>
 * {@link #watch} only hints that something may have changed (Redis pub/sub, PostgreSQL notifications, or
 * nothing): hints may be lost or coalesced, so a silo also reads the table periodically. Implementations are
 * thread-safe; failures to reach the backend surface as runtime exceptions.
 */
public interface MembershipProvider {

    /**
     * Reads the whole table, consistently: the version and the entries as of one instant.
     * @return the snapshot; {@link MembershipSnapshot#EMPTY} when nobody wrote yet
     */
    MembershipSnapshot read();

    /**
     * Inserts or replaces one silo's entry (by silo id) if the table still holds the expected version.
     * @param entry the entry
     * @param expectedVersion the table version the caller read
     * @return {@code true} when written (the table version is now {@code expectedVersion + 1}),
     * {@code false} when the version had moved on and nothing was written
     */
    boolean write(SiloEntry entry, long expectedVersion);

    /**
     * Removes one silo's entry, for cleaning up long-dead silos, if the table still holds the expected
     * version. Removing an entry that does not exist succeeds and still raises the version.
     * @param siloId the silo
     * @param expectedVersion the table version the caller read
     * @return {@code true} when removed (the table version is now {@code expectedVersion + 1}),
     * {@code false} when the version had moved on and nothing was removed
     */
    boolean remove(String siloId, long expectedVersion);

    /**
     * Records that a silo is alive: sets its entry's last heartbeat, without changing the table version.
     * @param siloId the silo
     * @param epoch the incarnation that beats
     * @param at the time of the heartbeat
     * @return {@code true} when recorded; {@code false} when the table has no entry for this incarnation or
     * it is {@link SiloStatus#DEAD} — the silo has been declared dead and must stop serving
     */
    boolean heartbeat(String siloId, long epoch, Instant at);

    /**
     * Asks to be told when the table may have changed.
     * @param listener called, on a thread of the provider's choosing, after a change may have happened; must
     * return quickly
     * @return a handle that stops the notifications
     */
    Watch watch(Runnable listener);

    /**
     * A registration made with {@link #watch}.
     */
    @FunctionalInterface
    interface Watch extends AutoCloseable {

        /**
         * Stops the notifications.
         */
        @Override
        void close();
    }
}
