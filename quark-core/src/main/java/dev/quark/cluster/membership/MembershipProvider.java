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
 * The table also has an incarnation ({@link MembershipSnapshot#incarnation()}): the first successful write or
 * remove on a table without one stores a new random value ({@link MembershipSnapshot#newIncarnation()}), in the
 * same atomic step, and no later write changes it. A backend that loses the table (a restart without
 * persistence, a flush, deleted rows) thereby gives the table that grows in its place a new incarnation, which
 * tells silos that a lower version is not an old copy of what they saw but a new table.
 * <p>
 * Because heartbeats are not versioned, a write may carry an older heartbeat than the table holds (the writer
 * read the entry before the silo beat again). The table then keeps the later of the two when the written
 * entry has the epoch of the stored one, so that another silo's write (a suspicion vote, say) never moves a
 * live silo's heartbeat back in time; an entry with another epoch is a new incarnation of the silo and is taken
 * as is.
 * <p>
 * Instants (start time, heartbeats, suspicions) are kept to the millisecond: what is finer is dropped, so an
 * entry read back equals the one written with its instants truncated to milliseconds.
 * <p>
 * {@link #watch} only hints that something may have changed (Redis pub/sub, PostgreSQL notifications, or
 * nothing): hints may be lost or coalesced, so a silo also reads the table periodically. Implementations are
 * thread-safe; failures to reach the backend surface as runtime exceptions.
 * <p>
 * One provider instance is the table of one cluster: backends shared by several clusters (one Redis, one
 * database) keep each cluster's table apart by the cluster name the provider was created with.
 */
public interface MembershipProvider {

    /**
     * Reads the whole table, consistently: the version and the entries as of one instant.
     * @return the snapshot, with the table's incarnation; {@link MembershipSnapshot#EMPTY} when nobody wrote yet
     */
    MembershipSnapshot read();

    /**
     * Inserts or replaces one silo's entry (by silo id) if the table still holds the expected version. When
     * the table holds an entry of the same silo and epoch with a later heartbeat, that heartbeat is kept.
     * @param entry the entry
     * @param expectedVersion the table version the caller read
     * @return {@code true} when written (the table version is now {@code expectedVersion + 1}, and the table has
     * an incarnation), {@code false} when the version had moved on and nothing was written
     */
    boolean write(SiloEntry entry, long expectedVersion);

    /**
     * Removes one silo's entry, for cleaning up long-dead silos, if the table still holds the expected
     * version. Removing an entry that does not exist succeeds and still raises the version.
     * @param siloId the silo
     * @param expectedVersion the table version the caller read
     * @return {@code true} when removed (the table version is now {@code expectedVersion + 1}, and the table has
     * an incarnation), {@code false} when the version had moved on and nothing was removed
     */
    boolean remove(String siloId, long expectedVersion);

    /**
     * Records that a silo is alive: sets its entry's last heartbeat, without changing the table version and
     * without a hint to watchers.
     * @param siloId the silo
     * @param epoch the incarnation that beats
     * @param at the time of the heartbeat
     * @return {@code true} when recorded; {@code false} when the table has no entry for this incarnation or
     * it is {@link SiloStatus#DEAD} — the silo has been declared dead and must stop serving
     */
    boolean heartbeat(String siloId, long epoch, Instant at);

    /**
     * Asks to be told when the table may have changed. A provider that gives hints is listening when this
     * method returns: a write or remove that succeeds afterwards is hinted, unless the hint is lost on the
     * way (a dropped connection), or the provider could not start listening within a bound of its own (a
     * late answer of its server: it then logs so, returns, and hints once when it starts listening). Hints are
     * an optimisation: callers read the table periodically as well. A provider may also hint when nothing
     * changed, for instance after it reconnected and cannot know what it missed.
     * @param listener called, on a thread of the provider's choosing, after a change may have happened; must
     * return quickly, and may read the table
     * @return a handle that stops the notifications and releases what the registration holds (a
     * connection, a thread)
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
