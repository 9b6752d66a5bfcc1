package dev.quark.cluster.routing;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;

import dev.quark.cluster.membership.SiloAddress;

/**
 * The payload of an {@code INDIRECT_PROBE}: which silo the intermediary probes, where, and for how long.
 *
 * @param siloId the silo to probe
 * @param epoch its incarnation
 * @param address where it listens
 * @param timeoutMillis how long the intermediary waits for it
 */
record ProbeTarget(String siloId, long epoch, SiloAddress address, long timeoutMillis) {

    byte[] toBytes() {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (DataOutputStream out = new DataOutputStream(bytes)) {
            out.writeUTF(this.siloId);
            out.writeLong(this.epoch);
            out.writeUTF(this.address.host());
            out.writeInt(this.address.port());
            out.writeLong(this.timeoutMillis);
        }
        catch (IOException ex) {
            throw new UncheckedIOException(ex);
        }
        return bytes.toByteArray();
    }

    static ProbeTarget of(byte[] payload) {
        try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(payload))) {
            String siloId = in.readUTF();
            long epoch = in.readLong();
            SiloAddress address = new SiloAddress(in.readUTF(), in.readInt());
            return new ProbeTarget(siloId, epoch, address, in.readLong());
        }
        catch (IOException ex) {
            throw new IllegalArgumentException("An indirect probe's payload does not name a silo to probe", ex);
        }
    }
}
