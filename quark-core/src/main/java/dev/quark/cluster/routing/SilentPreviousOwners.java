package dev.quark.cluster.routing;

import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;

import dev.quark.cluster.membership.SiloEntry;
import dev.quark.cluster.transport.Envelope;

/**
 * The previous owners of directory partitions that did not answer a {@code LOOKUP_HELD} within
 * {@link DistributedDirectory#HELD_LOOKUP_WAIT} (hung, or cut off, and not declared dead yet), per incarnation: the
 * next first registrations in their old ranges pass them over at once instead of waiting that second again each, and
 * keep asking the previous owners that answer.
 * <p>
 * A mark ends when the silo answers: the question that found it silent stays open until its deadline (the hand-off
 * timeout), and while a marked silo has no question open, the next registration that passes it over asks it once
 * more without waiting; any answer (its entry is not taken: the registration it was for has gone on) clears the mark.
 * Otherwise a mark lasts the hand-off window from when it was set (the next mark removes those past it, so that the
 * marks of silos never asked about again, dead or gone, do not stay), and a silo of another incarnation (restarted
 * under the same id) is not marked. What it costs: an entry a marked silo holds is not taken while it is marked, so
 * a first registration meanwhile may start a second activation of an actor it knows, which that actor's silo ends
 * when it registers the actor again and finds the other one (as after a question that times out).
 */
final class SilentPreviousOwners {

    private final Clock clock;

    private final Duration window;

    private final ConcurrentHashMap<String, Mark> marks = new ConcurrentHashMap<>();

    SilentPreviousOwners(Clock clock, Duration window) {
        this.clock = clock;
        this.window = window;
    }

    /**
     * Tells whether a previous owner is to be passed over: it did not answer in its current incarnation, within the
     * hand-off window.
     */
    boolean isSilent(SiloEntry owner) {
        Mark mark = this.marks.get(owner.siloId());
        if (mark == null) {
            return false;
        }
        if (mark.epoch() != owner.epoch() || this.clock.millis() - mark.sinceMillis() >= this.window.toMillis()) {
            this.marks.remove(owner.siloId(), mark);
            return false;
        }
        return true;
    }

    /**
     * Marks a previous owner that did not answer a question in time, which stays open: its answer clears the mark.
     * @param owner the silo asked
     * @param question the question's answer, still to come
     */
    void noAnswer(SiloEntry owner, CompletableFuture<Envelope> question) {
        long now = this.clock.millis();
        // Marks past their window go here too, not only when their silo is asked about again: a silo that died or
        // left is never asked about again, and its mark would stay for the life of this silo.
        this.marks.values().removeIf((expired) -> now - expired.sinceMillis() >= this.window.toMillis());
        Mark mark = new Mark(owner.epoch(), now, new CompletableFuture<>());
        Mark previous = this.marks.put(owner.siloId(), mark);
        if (previous != null) {
            previous.open().complete(null);
        }
        watch(owner, mark, question);
    }

    /**
     * Returns whether a marked silo has no question open; if so, the caller is to ask it once more, without waiting,
     * and hand the question to {@link #askedAgain}.
     */
    boolean askAgain(SiloEntry owner) {
        Mark mark = this.marks.get(owner.siloId());
        return mark != null && mark.epoch() == owner.epoch() && mark.open().isDone()
                && this.marks.replace(owner.siloId(), mark, mark.withOpen(new CompletableFuture<>()));
    }

    /** Watches the question {@link #askAgain} let the caller send. */
    void askedAgain(SiloEntry owner, CompletableFuture<Envelope> question) {
        Mark mark = this.marks.get(owner.siloId());
        if (mark == null || mark.epoch() != owner.epoch()) {
            return;
        }
        watch(owner, mark, question);
    }

    /** Returns how many silos are marked, expired marks not yet removed included; for tests. */
    int size() {
        return this.marks.size();
    }

    private void watch(SiloEntry owner, Mark mark, CompletableFuture<Envelope> question) {
        var unused = question.whenComplete((answer, failure) -> {
            if (answer != null) {
                // Any answer, an ERROR too: the silo answers again.
                this.marks.computeIfPresent(owner.siloId(),
                        (siloId, current) -> (current.epoch() == owner.epoch()) ? null : current);
            }
            mark.open().complete(null);
        });
    }

    /**
     * A silo that did not answer.
     * @param epoch its incarnation
     * @param sinceMillis when it was marked
     * @param open completed once no question to it is open any more
     */
    private record Mark(long epoch, long sinceMillis, CompletableFuture<Void> open) {

        Mark withOpen(CompletableFuture<Void> next) {
            return new Mark(this.epoch, this.sinceMillis, next);
        }
    }
}
