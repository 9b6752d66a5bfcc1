package dev.quark.durabletasks.store.internal;

import java.time.Instant;
import java.util.Objects;

import org.jspecify.annotations.Nullable;

/**
 * Decides which writes of work that becomes visible later (a timer, a delayed start, a later retry) a notifying
 * store tells the other workers of: only one visible before the earliest it told of that is still ahead. A worker
 * woken by such a notice finds no work yet, looks for the next visible work itself
 * ({@code DurableTaskStore#nextVisibleAfter}) and polls then, and after that poll looks again: telling of later work
 * too would only cost notifications. A notice lost (a node not listening) delays the work by at most the receivers'
 * poll interval, as before. Thread-safe; internal to the stores of this module.
 */
public final class LaterWorkNotices {

    private @Nullable Instant toldAhead;

    /**
     * Returns whether to tell of work visible later, and if so remembers when.
     * @param visibleAt when the work becomes visible
     * @param now the writer's clock
     * @return whether no notice is ahead, or the work is visible before it
     */
    public synchronized boolean tell(Instant visibleAt, Instant now) {
        if (!wouldTell(visibleAt, now)) {
            return false;
        }
        this.toldAhead = visibleAt;
        return true;
    }

    /**
     * Returns whether to tell of work visible later, remembering nothing: for a write that may not send the notice
     * (a creation that finds its id taken), which calls {@link #told} once it did.
     * @param visibleAt when the work becomes visible
     * @param now the writer's clock
     * @return whether no notice is ahead, or the work is visible before it
     */
    public synchronized boolean wouldTell(Instant visibleAt, Instant now) {
        Objects.requireNonNull(visibleAt, "visibleAt must not be null");
        Instant ahead = this.toldAhead;
        return ahead == null || !ahead.isAfter(now) || visibleAt.isBefore(ahead);
    }

    /**
     * Remembers a notice sent of work visible later, unless an earlier one is ahead.
     * @param visibleAt when the work becomes visible
     * @param now the writer's clock
     */
    public synchronized void told(Instant visibleAt, Instant now) {
        if (wouldTell(visibleAt, now)) {
            this.toldAhead = visibleAt;
        }
    }
}
