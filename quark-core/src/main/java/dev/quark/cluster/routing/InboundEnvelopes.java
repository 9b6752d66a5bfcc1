package dev.quark.cluster.routing;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

import dev.quark.cluster.SiloIdentityRefusedException;
import dev.quark.cluster.SiloUnavailableException;
import dev.quark.cluster.membership.SiloEntry;
import dev.quark.cluster.transport.Envelope;
import dev.quark.cluster.transport.EnvelopeHandler;

import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Where every envelope addressed to this silo arrives: refuses those meant for an earlier incarnation of it and
 * those whose sender claims the id of a member the table places elsewhere, then hands each kind to the part that
 * deals with it.
 */
final class InboundEnvelopes implements EnvelopeHandler {

    private static final Logger logger = LoggerFactory.getLogger(InboundEnvelopes.class);

    /** How many claims of a member's id from another address are logged at WARN, each once; the others at DEBUG. */
    private static final int MAX_CLAIMS_WARNED = 64;

    private final Set<String> claimsWarned = ConcurrentHashMap.newKeySet();

    private final String self;

    private final ViewTracker views;

    private final PendingReplies pending;

    private final IncomingCalls calls;

    private final OwnershipHandoff handoff;

    private final TransportProber prober;

    private final DistributedDirectory directory;

    private final SiloNotices notices;

    private final DepartedPeers departedPeers;

    private final IdleClientLinks clientLinks;

    InboundEnvelopes(String self, ViewTracker views, PendingReplies pending, IncomingCalls calls,
            OwnershipHandoff handoff, TransportProber prober, DistributedDirectory directory, SiloNotices notices,
            DepartedPeers departedPeers, IdleClientLinks clientLinks) {
        this.departedPeers = departedPeers;
        this.clientLinks = clientLinks;
        this.directory = directory;
        this.notices = notices;
        this.self = self;
        this.views = views;
        this.pending = pending;
        this.calls = calls;
        this.handoff = handoff;
        this.prober = prober;
    }

    @Override
    public void receive(Envelope envelope) {
        long epoch = this.views.ownEpoch();
        if (epoch != 0 && envelope.targetEpoch() != 0 && envelope.targetEpoch() != epoch) {
            refuseStale(envelope, epoch);
            return;
        }
        SiloEntry claimed = claimedElsewhere(envelope);
        if (claimed != null) {
            refuseClaim(envelope, claimed);
            return;
        }
        this.clientLinks.heardFrom(envelope.sourceAddress(), envelope.sourceSiloId(), envelope.sourceEpoch());
        if (envelope.kind() == Envelope.Kind.REQUEST || envelope.kind() == Envelope.Kind.PROBE) {
            this.departedPeers.heardFrom(envelope.sourceAddress());
        }
        switch (envelope.kind()) {
            case REQUEST, ONE_WAY -> this.calls.receive(envelope);
            case HANDOFF -> this.handoff.handoffRequested(envelope);
            case DIRECTORY -> this.directory.received(envelope);
            case NOTICE -> this.notices.received(envelope);
            case PROBE -> this.prober.probed(envelope);
            case INDIRECT_PROBE -> this.prober.probeFor(envelope);
            case RESPONSE, ERROR, HANDOFF_ACK, PROBE_REPLY, PROBE_FAILED -> {
                if (!this.pending.complete(envelope)) {
                    logger.debug("Silo {} dropped {}: nobody waits for it any more", this.self, envelope);
                }
            }
        }
    }

    @Override
    public void lost(long messageId, RuntimeException failure) {
        this.pending.fail(messageId, failure);
    }

    @Override
    public void inDoubt(long messageId, RuntimeException failure) {
        this.pending.failLinkInDoubt(messageId, failure, this.views.current());
    }

    /**
     * Returns the entry of the member an envelope claims to come from when the view places that incarnation (the same
     * silo id and epoch) at another address than the envelope's source: a silo's envelopes all carry the address of its
     * entry, so this is another process using its id. With TLS, the transport checks that the sender's certificate
     * names the host an envelope comes from; this binds the silo id to that host through the table. A claim of an
     * incarnation the view does not hold (a newer epoch, a silo not seen yet, a cluster client) cannot be told from a
     * restart and is let through.
     */
    private @Nullable SiloEntry claimedElsewhere(Envelope envelope) {
        SiloEntry entry = this.views.current().silo(envelope.sourceSiloId()).orElse(null);
        return (entry != null && entry.epoch() == envelope.sourceEpoch()
                && !entry.address().equals(envelope.sourceAddress())) ? entry : null;
    }

    private void refuseClaim(Envelope envelope, SiloEntry claimed) {
        String reason = "Silo " + this.self + " refused " + envelope + ": it claims to come from silo "
                + claimed.siloId() + " (incarnation " + claimed.epoch() + "), which the membership table places at "
                + claimed.address() + ", but it came from " + envelope.sourceAddress() + ". Each silo needs an id of its "
                + "own (quark.cluster.silo.id)";
        if (this.claimsWarned.size() < MAX_CLAIMS_WARNED
                && this.claimsWarned.add(claimed.siloId() + " " + envelope.sourceAddress())) {
            logger.warn("{} (told once per silo id and address)", reason);
        }
        else {
            logger.debug(reason);
        }
        switch (envelope.kind()) {
            case REQUEST, ONE_WAY, HANDOFF, DIRECTORY ->
                this.calls.refuse(envelope, new SiloIdentityRefusedException(reason));
            case PROBE, INDIRECT_PROBE -> this.prober.refuse(envelope, reason);
            default -> logger.debug("Dropped an answer: {}", reason);
        }
    }

    private void refuseStale(Envelope envelope, long epoch) {
        String reason = "silo " + this.self + " is incarnation " + epoch + "; " + envelope
                + " was meant for incarnation " + envelope.targetEpoch();
        switch (envelope.kind()) {
            case REQUEST, ONE_WAY, HANDOFF, DIRECTORY -> this.calls.refuse(envelope, new SiloUnavailableException(reason));
            case PROBE, INDIRECT_PROBE -> this.prober.refuse(envelope, reason);
            default -> logger.debug("Dropped an answer: {}", reason);
        }
    }
}
