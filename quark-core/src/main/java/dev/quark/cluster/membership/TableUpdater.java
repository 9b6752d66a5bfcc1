package dev.quark.cluster.membership;

import java.util.function.Function;
import java.util.function.Predicate;

import org.jspecify.annotations.Nullable;

/**
 * Changes one entry of the membership table by conditional write: reads the table, lets the change decide
 * on what it read, writes against the version it read, and on conflict reads again and decides again. A
 * change therefore never overwrites a write it has not seen — a vote, a status change, a rejoin — and a
 * change that no longer applies after someone else's write (the target is already dead, this silo is no
 * longer active) is dropped instead of forced. Blocking; called on the agent's serial executor.
 */
final class TableUpdater {

    /**
     * How many conflicts a change survives. Every conflict means another write went through, so a change that
     * loses this often is racing a flood of writes; it fails and its caller retries on its next round.
     */
    static final int MAX_ATTEMPTS = 32;

    private final MembershipProvider provider;

    TableUpdater(MembershipProvider provider) {
        this.provider = provider;
    }

    /**
     * Writes the entry a change decides on.
     * @param what the change, for the message when it gives up: what it does to which silo, for instance
     * {@code "vote that silo b (epoch 7) is dead"}
     * @param change given the table as just read, returns the entry to write, or {@code null} when nothing
     * needs writing any more
     * @return what was written and the table it was decided on
     * @throws MembershipConflictException after {@link #MAX_ATTEMPTS} conflicts, naming the change
     */
    Update update(String what, Function<MembershipSnapshot, @Nullable SiloEntry> change) {
        for (int attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
            MembershipSnapshot snapshot = this.provider.read();
            SiloEntry entry = change.apply(snapshot);
            if (entry == null) {
                return new Update(null, snapshot);
            }
            if (this.provider.write(entry, snapshot.version())) {
                return new Update(entry, snapshot);
            }
        }
        throw new MembershipConflictException("Gave up trying to " + what + " after " + MAX_ATTEMPTS
                + " conflicting writes to the membership table");
    }

    /**
     * Removes an entry while a condition holds for it.
     * @param siloId the silo
     * @param condition given the table as just read and the entry, whether to remove it
     * @return whether it was removed
     * @throws MembershipConflictException after {@link #MAX_ATTEMPTS} conflicts
     */
    boolean removeIf(String siloId, Predicate<SiloEntry> condition) {
        for (int attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
            MembershipSnapshot snapshot = this.provider.read();
            SiloEntry entry = snapshot.silos().get(siloId);
            if (entry == null || !condition.test(entry)) {
                return false;
            }
            if (this.provider.remove(siloId, snapshot.version())) {
                return true;
            }
        }
        throw new MembershipConflictException("Gave up removing the entry of silo " + siloId + " after "
                + MAX_ATTEMPTS + " conflicting writes to the membership table");
    }

    /**
     * The result of {@link #update}.
     *
     * @param written the entry written, or {@code null} when the change decided nothing needed writing
     * @param read the table the change decided on; the table is now one version past it when something was
     * written
     */
    record Update(@Nullable SiloEntry written, MembershipSnapshot read) {
    }
}
