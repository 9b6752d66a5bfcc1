package dev.quark.cluster.transport.grpc;

import java.nio.ByteBuffer;
import java.util.List;
import java.util.function.BiFunction;

import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLEngineResult;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSession;

/**
 * A handshake's {@link SSLEngine} as a trust manager sees it, whose parameters name no endpoint identification
 * algorithm: everything else is the engine's own (its handshake session, its algorithm constraints). Only handed to
 * a trust manager's check ({@link HostnameIgnoringTrustManager}); nothing drives a handshake through it.
 */
final class EngineWithoutIdentification extends SSLEngine {

    private final SSLEngine engine;

    EngineWithoutIdentification(SSLEngine engine) {
        super(engine.getPeerHost(), engine.getPeerPort());
        this.engine = engine;
    }

    @Override
    public SSLParameters getSSLParameters() {
        SSLParameters parameters = this.engine.getSSLParameters();
        parameters.setEndpointIdentificationAlgorithm(null);
        return parameters;
    }

    @Override
    public SSLSession getHandshakeSession() {
        return this.engine.getHandshakeSession();
    }

    @Override
    public SSLSession getSession() {
        return this.engine.getSession();
    }

    @Override
    public String getApplicationProtocol() {
        return this.engine.getApplicationProtocol();
    }

    @Override
    public String getHandshakeApplicationProtocol() {
        return this.engine.getHandshakeApplicationProtocol();
    }

    @Override
    public void setHandshakeApplicationProtocolSelector(BiFunction<SSLEngine, List<String>, String> selector) {
        throw new UnsupportedOperationException("A view for a trust manager's check");
    }

    @Override
    public BiFunction<SSLEngine, List<String>, String> getHandshakeApplicationProtocolSelector() {
        return this.engine.getHandshakeApplicationProtocolSelector();
    }

    @Override
    public SSLEngineResult wrap(ByteBuffer[] sources, int offset, int length, ByteBuffer destination)
            throws SSLException {
        throw new UnsupportedOperationException("A view for a trust manager's check");
    }

    @Override
    public SSLEngineResult unwrap(ByteBuffer source, ByteBuffer[] destinations, int offset, int length)
            throws SSLException {
        throw new UnsupportedOperationException("A view for a trust manager's check");
    }

    @Override
    public Runnable getDelegatedTask() {
        return this.engine.getDelegatedTask();
    }

    @Override
    public void closeInbound() throws SSLException {
        throw new UnsupportedOperationException("A view for a trust manager's check");
    }

    @Override
    public boolean isInboundDone() {
        return this.engine.isInboundDone();
    }

    @Override
    public void closeOutbound() {
        throw new UnsupportedOperationException("A view for a trust manager's check");
    }

    @Override
    public boolean isOutboundDone() {
        return this.engine.isOutboundDone();
    }

    @Override
    public String[] getSupportedCipherSuites() {
        return this.engine.getSupportedCipherSuites();
    }

    @Override
    public String[] getEnabledCipherSuites() {
        return this.engine.getEnabledCipherSuites();
    }

    @Override
    public void setEnabledCipherSuites(String[] suites) {
        throw new UnsupportedOperationException("A view for a trust manager's check");
    }

    @Override
    public String[] getSupportedProtocols() {
        return this.engine.getSupportedProtocols();
    }

    @Override
    public String[] getEnabledProtocols() {
        return this.engine.getEnabledProtocols();
    }

    @Override
    public void setEnabledProtocols(String[] protocols) {
        throw new UnsupportedOperationException("A view for a trust manager's check");
    }

    @Override
    public void beginHandshake() {
        throw new UnsupportedOperationException("A view for a trust manager's check");
    }

    @Override
    public SSLEngineResult.HandshakeStatus getHandshakeStatus() {
        return this.engine.getHandshakeStatus();
    }

    @Override
    public void setUseClientMode(boolean mode) {
        throw new UnsupportedOperationException("A view for a trust manager's check");
    }

    @Override
    public boolean getUseClientMode() {
        return this.engine.getUseClientMode();
    }

    @Override
    public void setNeedClientAuth(boolean need) {
        throw new UnsupportedOperationException("A view for a trust manager's check");
    }

    @Override
    public boolean getNeedClientAuth() {
        return this.engine.getNeedClientAuth();
    }

    @Override
    public void setWantClientAuth(boolean want) {
        throw new UnsupportedOperationException("A view for a trust manager's check");
    }

    @Override
    public boolean getWantClientAuth() {
        return this.engine.getWantClientAuth();
    }

    @Override
    public void setEnableSessionCreation(boolean flag) {
        throw new UnsupportedOperationException("A view for a trust manager's check");
    }

    @Override
    public boolean getEnableSessionCreation() {
        return this.engine.getEnableSessionCreation();
    }
}
