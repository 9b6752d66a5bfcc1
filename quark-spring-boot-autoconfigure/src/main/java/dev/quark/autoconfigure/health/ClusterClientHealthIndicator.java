package dev.quark.autoconfigure.health;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import dev.quark.cluster.client.ClientMembership;
import dev.quark.cluster.membership.SiloEntry;
import dev.quark.cluster.membership.SiloProber;
import org.jspecify.annotations.Nullable;

import org.springframework.boot.health.contributor.AbstractHealthIndicator;
import org.springframework.boot.health.contributor.Health;

/**
 * The {@code quarkClusterClient} health contributor of a cluster client: UP while the client's view of the
 * membership table has at least one active silo and one of them (at most {@value #MAX_PROBED} tried, in ring
 * order) answers a probe within the probe timeout; DOWN before the first read of the table (on the gRPC
 * transport the client reads it once its gRPC server listens), when the view has no active silo, none answers,
 * the last read of the table failed (the view may be stale), or a silo has the client's id. The view is the one the
 * client routes with: {@link ClientMembership} only takes newer versions of the table, as the routing does. Details: the client's id, the table's version, the
 * active silos, the silo that answered, and when the table was last read.
 */
public class ClusterClientHealthIndicator extends AbstractHealthIndicator {

    /** How many active silos a check probes at most before it reports DOWN. */
    static final int MAX_PROBED = 3;

    private final ClientMembership membership;

    private final SiloProber prober;

    private final Duration probeTimeout;

    /**
     * Creates the indicator.
     * @param membership the client's view of membership
     * @param prober probes silos over the client's transport
     * @param probeTimeout how long each probe waits for its answer
     */
    public ClusterClientHealthIndicator(ClientMembership membership, SiloProber prober, Duration probeTimeout) {
        super("Quark cluster client health check failed");
        this.membership = membership;
        this.prober = prober;
        this.probeTimeout = probeTimeout;
    }

    @Override
    protected void doHealthCheck(Health.Builder builder) {
        List<SiloEntry> active = this.membership.activeSilos();
        builder.withDetail("clientId", this.membership.clientId())
            .withDetail("version", this.membership.current().version())
            .withDetail("activeSilos", active.stream().map(SiloEntry::siloId).toList());
        Instant lastRead = this.membership.lastReadAt();
        if (lastRead == null) {
            builder.down().withDetail("reason", "the membership table was not read yet");
            return;
        }
        builder.withDetail("lastRead", lastRead.toString());
        RuntimeException readFailure = this.membership.lastReadFailure();
        if (readFailure != null) {
            builder.down().withDetail("reason", "the membership table cannot be read: " + readFailure);
            return;
        }
        String idConflict = this.membership.idConflict();
        if (idConflict != null) {
            builder.down().withDetail("reason", idConflict);
            return;
        }
        if (active.isEmpty()) {
            builder.down().withDetail("reason", "no silo is active in the membership table");
            return;
        }
        @Nullable String lastFailure = null;
        for (SiloEntry silo : active.subList(0, Math.min(MAX_PROBED, active.size()))) {
            String failure = probe(silo);
            if (failure == null) {
                builder.up().withDetail("reachedSilo", silo.siloId());
                return;
            }
            lastFailure = failure;
        }
        builder.down().withDetail("reason", "no active silo answered a probe: " + lastFailure);
    }

    /**
     * Probes a silo and returns why it did not answer, {@code null} when it did.
     */
    private @Nullable String probe(SiloEntry silo) {
        try {
            this.prober.probe(silo, this.probeTimeout)
                .toCompletableFuture()
                .get(this.probeTimeout.toMillis() + 1000, TimeUnit.MILLISECONDS);
            return null;
        }
        catch (InterruptedException ex) {
            Thread.currentThread().interrupt();
            return "interrupted while probing silo " + silo.siloId();
        }
        catch (ExecutionException ex) {
            Throwable cause = (ex.getCause() != null) ? ex.getCause() : ex;
            return "silo " + silo.siloId() + ": " + cause.getMessage();
        }
        catch (TimeoutException ex) {
            return "silo " + silo.siloId() + " did not answer within " + this.probeTimeout;
        }
    }
}
