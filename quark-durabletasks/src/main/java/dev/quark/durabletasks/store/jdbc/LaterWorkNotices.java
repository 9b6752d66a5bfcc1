package dev.quark.durabletasks.store.jdbc;

import java.time.Instant;

import org.jspecify.annotations.Nullable;

/**
 * Decides which writes of work that becomes visible later (a timer, a delayed start, a later retry) a notifying
 * store tells the other workers of: only one visible before the earliest it told of that is still ahead. A worker
 * woken by such a notice finds no work yet, looks for the next visible work itself
 * ({@code DurableTaskStore#nextVisibleAfter}) and polls then, and after that poll looks again: telling of later work
 * too would only cost notifications. A notice lost (a node not listening) delays the work by at most the receivers'
 * poll interval, as before. Thread-safe.
 */
final class LaterWorkNotices {

    private @Nullable Instant toldAhead;

    /**
     * Returns whether to tell of work visible later, and if so remembers when.
     * @param visibleAt when the work becomes visible
     * @param now the writer's clock
     * @return whether no notice is ahead, or the work is visible before it
     */
    synchronized boolean tell(Instant visibleAt, Instant now) {
        Instant ahead = this.toldAhead;
        if (ahead != null && ahead.isAfter(now) && !visibleAt.isBefore(ahead)) {
            return false;
        }
        this.toldAhead = visibleAt;
        return true;
    }
}
