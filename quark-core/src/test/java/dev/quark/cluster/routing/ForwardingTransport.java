package dev.quark.cluster.routing;

import java.util.Set;
import java.util.concurrent.CompletionStage;

import dev.quark.cluster.membership.SiloAddress;
import dev.quark.cluster.membership.TransportSecurity;
import dev.quark.cluster.transport.Envelope;
import dev.quark.cluster.transport.EnvelopeHandler;
import dev.quark.cluster.transport.Transport;

/**
 * A transport that hands every call to another one, for a test that intercepts one or two of them (records, delays
 * or fails sends) and overrides only those. Every method of {@link Transport} is forwarded, the default ones too,
 * so that the silo sees the wrapped transport's own {@code forget}, {@code reconnect}, {@code peers} and
 * {@code security}, not the interface's defaults.
 */
abstract class ForwardingTransport implements Transport {

    private final Transport delegate;

    ForwardingTransport(Transport delegate) {
        this.delegate = delegate;
    }

    @Override
    public SiloAddress start(String siloId, EnvelopeHandler handler) {
        return this.delegate.start(siloId, handler);
    }

    @Override
    public CompletionStage<Void> send(SiloAddress target, Envelope envelope) {
        return this.delegate.send(target, envelope);
    }

    @Override
    public void forget(SiloAddress address) {
        this.delegate.forget(address);
    }

    @Override
    public void welcome(SiloAddress address) {
        this.delegate.welcome(address);
    }

    @Override
    public void disconnect(SiloAddress address) {
        this.delegate.disconnect(address);
    }

    @Override
    public CompletionStage<Void> reconnect(SiloAddress address, Envelope.Lane lane) {
        return this.delegate.reconnect(address, lane);
    }

    @Override
    public Set<SiloAddress> peers() {
        return this.delegate.peers();
    }

    @Override
    public TransportSecurity security() {
        return this.delegate.security();
    }

    @Override
    public void close() {
        this.delegate.close();
    }
}
