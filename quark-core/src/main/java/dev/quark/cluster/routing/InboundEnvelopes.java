package dev.quark.cluster.routing;

import dev.quark.cluster.SiloUnavailableException;
import dev.quark.cluster.transport.Envelope;
import dev.quark.cluster.transport.EnvelopeHandler;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Where every envelope addressed to this silo arrives: refuses those meant for an earlier incarnation of it,
 * then hands each kind to the part that deals with it.
 */
final class InboundEnvelopes implements EnvelopeHandler {

    private static final Logger logger = LoggerFactory.getLogger(InboundEnvelopes.class);

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
            case RESPONSE, ERROR, HANDOFF_ACK, PROBE_REPLY, PROBE_FAILED -> this.pending.complete(envelope);
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
