package dev.quark.cluster.routing;

import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

import dev.quark.cluster.SiloUnavailableException;
import dev.quark.cluster.membership.ClusterView;
import dev.quark.cluster.membership.SiloEntry;
import dev.quark.cluster.membership.SiloStatus;
import dev.quark.cluster.transport.Envelope;

import org.jspecify.annotations.Nullable;

/**
 * The correlation table: the requests this silo sent that wait for an answer, by message id. An answer
 * completes its request; the deadline fails it; and a new view in which the target silo is dead, gone or a
 * new incarnation fails it at once with a {@link SiloUnavailableException}, rather than after the deadline.
 * Failures are completed on the given executor, never on the thread of a view change or of the timer.
 */
final class PendingReplies implements AutoCloseable {

    private final Map<Long, Pending> pending = new ConcurrentHashMap<>();

    private final Clock clock;

    private final Executor executor;

    private final ScheduledThreadPoolExecutor timer;

    PendingReplies(String self, Clock clock, Executor executor) {
        this.clock = clock;
        this.executor = executor;
        this.timer = new ScheduledThreadPoolExecutor(1, (task) -> {
            Thread thread = new Thread(task, "quark-replies-" + self);
            thread.setDaemon(true);
            return thread;
        });
        this.timer.setRemoveOnCancelPolicy(true);
    }

    /**
     * Registers a request that waits for an answer.
     * @param messageId the request's message id, which its answer carries as correlation id
     * @param target the silo the request goes to
     * @param deadlineMillis when to give up, in epoch milliseconds of the clock
     * @param expired what to fail the request with at its deadline
     * @param description what waits, for the message of a failure
     * @return the stage the answer completes
     */
    CompletableFuture<Envelope> register(long messageId, Peer target, long deadlineMillis,
            Supplier<? extends Throwable> expired, String description) {
        CompletableFuture<Envelope> answer = new CompletableFuture<>();
        Pending entry = new Pending(target.siloId(), target.epoch(), answer, description);
        this.pending.put(messageId, entry);
        long delay = Math.max(0, deadlineMillis - this.clock.millis());
        entry.expiry = this.timer.schedule(() -> fail(messageId, expired.get()), delay, TimeUnit.MILLISECONDS);
        return answer;
    }

    /**
     * Completes the request an answer belongs to.
     * @return whether a request waited for it
     */
    boolean complete(Envelope answer) {
        Pending entry = this.pending.remove(answer.correlationId());
        if (entry == null) {
            return false;
        }
        entry.cancelExpiry();
        entry.answer.complete(answer);
        return true;
    }

    /**
     * Fails one request, if it still waits.
     */
    void fail(long messageId, Throwable failure) {
        Pending entry = this.pending.remove(messageId);
        if (entry != null) {
            entry.cancelExpiry();
            this.executor.execute(() -> entry.answer.completeExceptionally(failure));
        }
    }

    /**
     * Fails at once the requests whose target silo a new view shows dead, gone, or running as a new
     * incarnation: their answers will never come.
     */
    void failTargetsGoneIn(ClusterView view) {
        List<Long> gone = new ArrayList<>();
        this.pending.forEach((messageId, entry) -> {
            SiloEntry target = view.membership().silos().get(entry.targetSilo);
            if (target == null || target.status() == SiloStatus.DEAD || target.epoch() != entry.targetEpoch) {
                gone.add(messageId);
            }
        });
        for (long messageId : gone) {
            Pending entry = this.pending.get(messageId);
            if (entry != null) {
                SiloEntry target = view.membership().silos().get(entry.targetSilo);
                String what = (target == null) ? "left the cluster"
                        : (target.status() == SiloStatus.DEAD) ? "was declared dead"
                                : "restarted as incarnation " + target.epoch();
                fail(messageId, new SiloUnavailableException("Silo " + entry.targetSilo + " " + what
                        + " (membership version " + view.version() + ") while " + entry.description
                        + " waited for its answer; it may or may not have run there"));
            }
        }
    }

    /**
     * Returns how many requests wait for an answer.
     */
    int size() {
        return this.pending.size();
    }

    /**
     * Fails every waiting request and stops the timer.
     */
    void close(String reason) {
        for (Long messageId : List.copyOf(this.pending.keySet())) {
            Pending entry = this.pending.get(messageId);
            if (entry != null) {
                fail(messageId, new SiloUnavailableException(entry.description + " was abandoned: " + reason));
            }
        }
        this.timer.shutdownNow();
    }

    @Override
    public void close() {
        close("the silo closed");
    }

    private static final class Pending {

        final String targetSilo;

        final long targetEpoch;

        final CompletableFuture<Envelope> answer;

        final String description;

        volatile @Nullable ScheduledFuture<?> expiry;

        Pending(String targetSilo, long targetEpoch, CompletableFuture<Envelope> answer, String description) {
            this.targetSilo = targetSilo;
            this.targetEpoch = targetEpoch;
            this.answer = answer;
            this.description = description;
        }

        void cancelExpiry() {
            ScheduledFuture<?> scheduled = this.expiry;
            if (scheduled != null) {
                scheduled.cancel(false);
            }
        }
    }
}
