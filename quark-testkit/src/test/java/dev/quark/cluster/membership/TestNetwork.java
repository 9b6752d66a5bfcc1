package dev.quark.cluster.membership;

import java.time.Clock;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;

import dev.quark.runtime.RuntimeScheduler;
import org.jspecify.annotations.Nullable;

/**
 * The network between test silos, as their probers see it: silos can be down (they answer nothing) and links
 * between two silos can be cut (in both directions) or refused (a probe fails at once with a {@link Refusal},
 * which the probers take for one, as a TLS or handshake refusal). Probes answer at once: answered, or failed as
 * if timed out.
 */
final class TestNetwork {

    private final Set<String> down = ConcurrentHashMap.newKeySet();

    private final Set<String> cutLinks = ConcurrentHashMap.newKeySet();

    private final Set<String> hung = ConcurrentHashMap.newKeySet();

    private final Set<String> refusedLinks = ConcurrentHashMap.newKeySet();

    private final Set<String> stalledLinks = ConcurrentHashMap.newKeySet();

    private final AtomicInteger indirectProbes = new AtomicInteger();

    private volatile @Nullable RuntimeScheduler timeouts;

    private volatile @Nullable Clock clock;

    void down(String siloId) {
        this.down.add(siloId);
    }

    void up(String siloId) {
        this.down.remove(siloId);
    }

    /**
     * Makes every probe that involves a silo hang: its stage never completes, as with a transport that loses
     * the exchange.
     */
    void hang(String siloId) {
        this.hung.add(siloId);
    }

    void cut(String a, String b) {
        this.cutLinks.add(link(a, b));
    }

    void heal(String a, String b) {
        this.cutLinks.remove(link(a, b));
        this.refusedLinks.remove(link(a, b));
        this.stalledLinks.remove(link(a, b));
    }

    /**
     * Makes the probes between two silos hang (their stage never completes) until {@link #heal}: a peer that is
     * slow to answer.
     */
    void stall(String a, String b) {
        this.stalledLinks.add(link(a, b));
    }

    /**
     * Makes the probes between two silos fail with a {@link Refusal}, as a peer that does not trust the other's
     * certificate does.
     */
    void refuse(String a, String b) {
        this.refusedLinks.add(link(a, b));
    }

    /**
     * Makes unanswered probes fail when their timeout ends, on a scheduler task, instead of at once: the worst
     * case, a silo that is gone without refusing connections.
     */
    void failAfterTimeout(RuntimeScheduler scheduler, Clock clock) {
        this.timeouts = scheduler;
        this.clock = clock;
    }

    int indirectProbes() {
        return this.indirectProbes.get();
    }

    boolean reaches(String from, String to) {
        return !this.down.contains(from) && !this.down.contains(to) && !this.cutLinks.contains(link(from, to));
    }

    SiloProber proberOf(String from) {
        return new SiloProber() {

            @Override
            public CompletionStage<Void> probe(SiloEntry target, Duration timeout) {
                if (TestNetwork.this.hung.contains(target.siloId())
                        || TestNetwork.this.stalledLinks.contains(link(from, target.siloId()))) {
                    return new CompletableFuture<>();
                }
                if (TestNetwork.this.refusedLinks.contains(link(from, target.siloId()))) {
                    return CompletableFuture.failedFuture(new Refusal("Refused on " + from + " -> " + target.siloId()));
                }
                return answer(reaches(from, target.siloId()), timeout, from + " -> " + target.siloId());
            }

            @Override
            public boolean isRefusal(Throwable failure) {
                return failure instanceof Refusal;
            }

            @Override
            public CompletionStage<Void> probeIndirectly(SiloEntry intermediary, SiloEntry target, Duration timeout) {
                TestNetwork.this.indirectProbes.incrementAndGet();
                if (TestNetwork.this.hung.contains(target.siloId())) {
                    return new CompletableFuture<>();
                }
                return answer(reaches(from, intermediary.siloId()) && reaches(intermediary.siloId(), target.siloId()),
                        timeout, from + " -> " + intermediary.siloId() + " -> " + target.siloId());
            }
        };
    }

    private CompletionStage<Void> answer(boolean answered, Duration timeout, String route) {
        if (answered) {
            return CompletableFuture.completedFuture(null);
        }
        RuntimeScheduler scheduler = this.timeouts;
        Clock now = this.clock;
        if (scheduler == null || now == null) {
            return CompletableFuture.failedFuture(new TimeoutException("No answer on " + route));
        }
        CompletableFuture<Void> failed = new CompletableFuture<>();
        scheduler.schedule(now.instant().plus(timeout), () -> {
            failed.completeExceptionally(new TimeoutException("No answer on " + route + " within " + timeout));
            return CompletableFuture.completedFuture(null);
        });
        return failed;
    }

    private static String link(String a, String b) {
        return (a.compareTo(b) < 0) ? a + "|" + b : b + "|" + a;
    }

    /** A probe refused by configuration, as a TLS or handshake refusal of a transport. */
    static final class Refusal extends IllegalStateException {

        private static final long serialVersionUID = 1L;

        Refusal(String message) {
            super(message);
        }
    }
}
