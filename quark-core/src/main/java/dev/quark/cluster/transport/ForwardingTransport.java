package dev.quark.cluster.transport;

import java.util.Set;
import java.util.concurrent.CompletionStage;
import java.util.function.BooleanSupplier;

import dev.quark.cluster.membership.SiloAddress;
import dev.quark.cluster.membership.TransportSecurity;

/**
 * A transport that hands every call to another one: the base of a decorator that changes one or two of them (records,
 * meters, delays or fails sends, as tests do) and overrides only those. Every method of {@link Transport} is
 * forwarded, the default ones too, so that the silo sees the wrapped transport's own {@code forget},
 * {@code reconnect}, {@code peers} and {@code security}, not the interface's defaults (a decorator written by hand
 * that forgot {@code security()} made its silo publish {@code UNKNOWN}).
 */
public abstract class ForwardingTransport implements Transport {

    private final Transport delegate;

    /**
     * Wraps a transport.
     * @param delegate the transport every call goes to
     */
    protected ForwardingTransport(Transport delegate) {
        this.delegate = delegate;
    }

    /**
     * Returns the wrapped transport.
     * @return the transport every call goes to
     */
    protected final Transport delegate() {
        return this.delegate;
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
    public void sayGoodbye(BooleanSupplier answered) {
        this.delegate.sayGoodbye(answered);
    }

    @Override
    public void close() {
        this.delegate.close();
    }
}
