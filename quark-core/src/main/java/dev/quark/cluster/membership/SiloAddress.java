package dev.quark.cluster.membership;

import java.util.Objects;

/**
 * Where peers reach a silo: the host and port its transport advertises.
 *
 * @param host the host name or IP address, not blank
 * @param port the port, 0 to 65535 (0 for transports that need none, such as the in-JVM one)
 */
public record SiloAddress(String host, int port) {

    /**
     * Validates the components.
     * @param host the host
     * @param port the port
     */
    public SiloAddress {
        Objects.requireNonNull(host, "host must not be null");
        if (host.isBlank()) {
            throw new IllegalArgumentException("Silo host must not be blank");
        }
        if (port < 0 || port > 65535) {
            throw new IllegalArgumentException("Silo port must be between 0 and 65535, was " + port);
        }
    }

    @Override
    public String toString() {
        return this.host + ":" + this.port;
    }
}
