package dev.quark.testkit.server;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A TCP proxy on the loopback interface that a test can cut and restore, to see how code behaves when its
 * server goes away and comes back:
 * <pre>{@code
 * try (TcpProxy proxy = TcpProxy.start(redis.host(), redis.port())) {
 *     // point the client at 127.0.0.1:proxy.port()
 *     proxy.cut();       // open connections drop, new ones are closed at once
 *     proxy.restore();   // new connections reach the server again
 *     proxy.stall();     // open connections stay open but carry nothing more: half-open; new ones work
 * }
 * }</pre>
 * Each connection uses two virtual threads that copy bytes; everything stops on {@link #close()}.
 */
public final class TcpProxy implements AutoCloseable {

    private static final int CONNECT_TIMEOUT_MILLIS = 5_000;

    private final String targetHost;

    private final int targetPort;

    private final ServerSocket server;

    private final Set<Socket> sockets = ConcurrentHashMap.newKeySet();

    private final Set<Link> links = ConcurrentHashMap.newKeySet();

    private volatile boolean cut;

    private TcpProxy(String targetHost, int targetPort) throws IOException {
        this.targetHost = targetHost;
        this.targetPort = targetPort;
        this.server = new ServerSocket();
        this.server.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
        Thread.ofVirtual().name("quark-tcp-proxy-accept-" + port()).start(this::accept);
    }

    /**
     * Starts a proxy to a server.
     * @param targetHost the server's host
     * @param targetPort the server's port
     * @return the running proxy
     */
    public static TcpProxy start(String targetHost, int targetPort) {
        try {
            return new TcpProxy(targetHost, targetPort);
        }
        catch (IOException ex) {
            throw new UncheckedIOException("Could not start a proxy to " + targetHost + ":" + targetPort, ex);
        }
    }

    /**
     * Returns the host clients connect to.
     * @return {@code 127.0.0.1}
     */
    public String host() {
        return this.server.getInetAddress().getHostAddress();
    }

    /**
     * Returns the port clients connect to.
     * @return the proxy's port
     */
    public int port() {
        return this.server.getLocalPort();
    }

    /**
     * Drops every open connection and closes new ones as soon as they are accepted, as a server that went
     * away would.
     */
    public void cut() {
        this.cut = true;
        closeAll();
    }

    /**
     * Makes every open connection half-open: it stays open at both ends, but the bytes either end sends are
     * dropped, as when the server vanished, or a firewall forgot the connection, without a reset. A client
     * notices only by a timeout. New connections are not affected.
     */
    public void stall() {
        for (Link link : this.links) {
            link.stalled = true;
        }
    }

    /**
     * Lets new connections reach the server again.
     */
    public void restore() {
        this.cut = false;
    }

    /**
     * Returns whether the proxy is cut.
     * @return whether connections are refused
     */
    public boolean isCut() {
        return this.cut;
    }

    @Override
    public void close() {
        this.cut = true;
        try {
            this.server.close();
        }
        catch (IOException ex) {
            // closing
        }
        closeAll();
    }

    private void accept() {
        while (!this.server.isClosed()) {
            Socket client;
            try {
                client = this.server.accept();
            }
            catch (IOException ex) {
                return;
            }
            if (this.cut) {
                closeQuietly(client);
                continue;
            }
            Thread.ofVirtual().name("quark-tcp-proxy-connect").start(() -> connect(client));
        }
    }

    private void connect(Socket client) {
        Socket target = new Socket();
        Link link = new Link();
        this.sockets.add(client);
        this.sockets.add(target);
        this.links.add(link);
        try {
            target.connect(new InetSocketAddress(this.targetHost, this.targetPort), CONNECT_TIMEOUT_MILLIS);
            if (this.cut) {
                throw new IOException("cut");
            }
            Thread.ofVirtual().name("quark-tcp-proxy-up").start(() -> pump(client, target, link));
            pump(target, client, link);
        }
        catch (IOException ex) {
            closeQuietly(client);
            closeQuietly(target);
        }
        finally {
            this.links.remove(link);
        }
    }

    private void pump(Socket from, Socket to, Link link) {
        byte[] buffer = new byte[16 * 1024];
        try (InputStream in = from.getInputStream(); OutputStream out = to.getOutputStream()) {
            for (int read = in.read(buffer); read >= 0; read = in.read(buffer)) {
                if (!link.stalled) {
                    out.write(buffer, 0, read);
                    out.flush();
                }
            }
        }
        catch (IOException ex) {
            // the connection ends
        }
        finally {
            closeQuietly(from);
            closeQuietly(to);
        }
    }

    private void closeAll() {
        for (Socket socket : this.sockets) {
            closeQuietly(socket);
        }
    }

    private void closeQuietly(Socket socket) {
        this.sockets.remove(socket);
        try {
            socket.close();
        }
        catch (IOException ex) {
            // closing
        }
    }

    /** One proxied connection; stalled ones drop what they read. */
    private static final class Link {

        volatile boolean stalled;
    }

    @Override
    public String toString() {
        return "TcpProxy[" + host() + ":" + port() + " -> " + this.targetHost + ":" + this.targetPort
                + (this.cut ? ", cut" : "") + "]";
    }
}
