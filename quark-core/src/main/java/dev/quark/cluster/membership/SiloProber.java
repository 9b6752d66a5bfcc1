package dev.quark.cluster.membership;

import java.time.Duration;
import java.util.concurrent.CompletionStage;

/**
 * Asks other silos whether they are alive, for failure detection; the transport implements it, probes
 * travel apart from calls so that large payloads never delay them into false suspicions.
 */
public interface SiloProber {

    /**
     * Probes a silo directly.
     * @param target the silo
     * @param timeout how long to wait for its answer
     * @return a stage completed when it answers, failed when it does not answer in time or cannot be reached
     */
    CompletionStage<Void> probe(SiloEntry target, Duration timeout);

    /**
     * Asks one silo to probe another and report, to tell a dead target from a broken link between two
     * silos.
     * @param intermediary the silo that probes
     * @param target the silo probed
     * @param timeout how long to wait for the whole exchange
     * @return a stage completed when the intermediary reports that the target answered, failed otherwise
     */
    CompletionStage<Void> probeIndirectly(SiloEntry intermediary, SiloEntry target, Duration timeout);

    /**
     * Tells whether a failed probe was refused by configuration (a TLS certificate one side does not trust,
     * another cluster name or protocol version) rather than unanswered: a refusal does not heal by itself, so a
     * joining silo gives up on it, while it waits for a silent peer to answer or to expire. Membership asks the
     * prober so that it needs to know no transport's exceptions.
     * @param failure how a {@link #probe} failed
     * @return {@code true} for a refusal; by default {@code false}, every failure counted as silence
     */
    default boolean isRefusal(Throwable failure) {
        return false;
    }
}
