package dev.quark.cluster.routing;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import dev.quark.runtime.ActorAddress;
import dev.quark.runtime.routing.DeadlockVictim;
import dev.quark.runtime.routing.RemoteWaits;
import dev.quark.runtime.routing.WaitProbe;
import dev.quark.runtime.routing.WaitStep;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Carries deadlock detection between silos as {@link dev.quark.cluster.transport.Envelope.Kind#NOTICE notices}
 * on two topics of their own: {@value #PROBE_TOPIC} (a {@link WaitProbe}) and {@value #VICTIM_TOPIC} (a
 * {@link DeadlockVictim}), each payload a small binary frame that starts with its format version. A silo that
 * does not know the topics (an older one) drops such notices, as it drops any notice without a handler, and
 * cross-silo cycles through it end with the call timeout as before. Both are hints: a notice that cannot be sent
 * or read is dropped. A probe or victim naming a call that this silo's runtime neither runs nor holds, and that this
 * silo passed on to the actor's owner (its view and the caller's disagreed), goes on to that silo as it came
 * ({@link #passOn(WaitProbe)}, {@link ForwardedCalls}).
 */
final class DeadlockNotices implements RemoteWaits {

    /** The topic of deadlock probes. */
    static final String PROBE_TOPIC = "quark-deadlock-probe";

    /** The topic of a cycle's victim to fail. */
    static final String VICTIM_TOPIC = "quark-deadlock-victim";

    /** 2: a victim names its method too (format 1, chain only, is refused: it could name another call). */
    private static final int FORMAT = 2;

    private static final Logger logger = LoggerFactory.getLogger(DeadlockNotices.class);

    private final String self;

    private final SiloNotices notices;

    private final SiloBinding silo;

    private final ForwardedCalls forwarded;

    DeadlockNotices(String self, SiloNotices notices, SiloBinding silo, ForwardedCalls forwarded) {
        this.self = self;
        this.notices = notices;
        this.silo = silo;
        this.forwarded = forwarded;
        notices.handle(PROBE_TOPIC, this::probeReceived);
        notices.handle(VICTIM_TOPIC, this::victimReceived);
    }

    @Override
    public String siloId() {
        return this.self;
    }

    @Override
    public void probe(String siloId, WaitProbe probe) {
        send(siloId, PROBE_TOPIC, encode(probe));
    }

    @Override
    public void breakDeadlock(String siloId, DeadlockVictim victim) {
        send(siloId, VICTIM_TOPIC, encode(victim));
    }

    @Override
    public void passOn(WaitProbe probe) {
        String passedTo = this.forwarded.passOnTo(probe.address(), probe.callChainId(),
                probe.path().getLast().method(), probe);
        if (passedTo != null) {
            send(passedTo, PROBE_TOPIC, encode(probe));
        }
    }

    @Override
    public void passOn(DeadlockVictim victim) {
        String passedTo = this.forwarded.passOnTo(victim.address(), victim.callChainId(), victim.method(), victim);
        if (passedTo != null) {
            send(passedTo, VICTIM_TOPIC, encode(victim));
        }
    }

    private void send(String siloId, String topic, byte[] payload) {
        this.notices.send(siloId, topic, payload).whenComplete((sent, failure) -> {
            if (failure != null) {
                logger.debug("Silo {} dropped a notice on '{}' to silo {}: {}", this.self, topic, siloId,
                        Messenger.unwrap(failure).getMessage());
            }
        });
    }

    private void probeReceived(byte[] payload) {
        WaitProbe probe;
        try {
            probe = decodeProbe(payload);
        }
        catch (IOException | RuntimeException ex) {
            logger.debug("Silo {} dropped a deadlock probe it cannot read: {}", this.self, ex.toString());
            return;
        }
        this.silo.runtime().inbound().probe(probe);
    }

    private void victimReceived(byte[] payload) {
        DeadlockVictim victim;
        try {
            victim = decodeVictim(payload);
        }
        catch (IOException | RuntimeException ex) {
            logger.debug("Silo {} dropped a deadlock victim it cannot read: {}", this.self, ex.toString());
            return;
        }
        this.silo.runtime().inbound().breakDeadlock(victim);
    }

    static byte[] encode(WaitProbe probe) {
        return write((out) -> {
            out.writeUTF(probe.initiatorSilo());
            out.writeLong(probe.initiatorId());
            out.writeLong(probe.look());
            writeAddress(out, probe.address());
            out.writeLong(probe.callChainId());
            out.writeShort(probe.path().size());
            for (WaitStep step : probe.path()) {
                out.writeLong(step.callChainId());
                out.writeUTF(step.heldActor());
                out.writeUTF(step.callSilo());
                writeAddress(out, step.calledActor());
                out.writeUTF(step.method());
                out.writeBoolean(step.blocked());
            }
        });
    }

    static WaitProbe decodeProbe(byte[] payload) throws IOException {
        DataInputStream in = read(payload);
        String initiator = in.readUTF();
        long initiatorId = in.readLong();
        long look = in.readLong();
        ActorAddress address = readAddress(in);
        long chainId = in.readLong();
        int size = in.readUnsignedShort();
        if (size > WaitProbe.MAX_PATH) {
            throw new IOException("a path of " + size + " edges");
        }
        List<WaitStep> path = new ArrayList<>(size);
        for (int i = 0; i < size; i++) {
            path.add(new WaitStep(in.readLong(), in.readUTF(), in.readUTF(), readAddress(in), in.readUTF(),
                    in.readBoolean()));
        }
        return new WaitProbe(initiator, initiatorId, look, address, chainId, path);
    }

    static byte[] encode(DeadlockVictim victim) {
        return write((out) -> {
            writeAddress(out, victim.address());
            out.writeLong(victim.callChainId());
            out.writeUTF(victim.method());
            out.writeShort(victim.actors().size());
            for (String actor : victim.actors()) {
                out.writeUTF(actor);
            }
            byte[] description = victim.description().getBytes(StandardCharsets.UTF_8);
            out.writeInt(description.length);
            out.write(description);
        });
    }

    static DeadlockVictim decodeVictim(byte[] payload) throws IOException {
        DataInputStream in = read(payload);
        ActorAddress address = readAddress(in);
        long chainId = in.readLong();
        String method = in.readUTF();
        int count = in.readUnsignedShort();
        if (count > WaitProbe.MAX_PATH) {
            throw new IOException(count + " actors");
        }
        List<String> actors = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            actors.add(in.readUTF());
        }
        int length = in.readInt();
        if (length < 0 || length > in.available()) {
            throw new IOException("a description of " + length + " bytes");
        }
        byte[] description = in.readNBytes(length);
        return new DeadlockVictim(address, chainId, method, actors,
                new String(description, StandardCharsets.UTF_8));
    }

    private static void writeAddress(DataOutputStream out, ActorAddress address) throws IOException {
        out.writeUTF(address.typeName());
        out.writeUTF(address.id());
    }

    private static ActorAddress readAddress(DataInputStream in) throws IOException {
        return new ActorAddress(in.readUTF(), in.readUTF());
    }

    private static byte[] write(Frame frame) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(256);
        try (DataOutputStream out = new DataOutputStream(bytes)) {
            out.writeByte(FORMAT);
            frame.write(out);
        }
        catch (IOException ex) {
            throw new UncheckedIOException(ex);
        }
        return bytes.toByteArray();
    }

    private static DataInputStream read(byte[] payload) throws IOException {
        DataInputStream in = new DataInputStream(new ByteArrayInputStream(payload));
        int format = in.readUnsignedByte();
        if (format != FORMAT) {
            throw new IOException("format " + format + ", this silo reads format " + FORMAT);
        }
        return in;
    }

    /** Writes the body of a frame. */
    @FunctionalInterface
    private interface Frame {

        void write(DataOutputStream out) throws IOException;
    }
}
