package dev.quark.runtime.routing;

import java.io.UTFDataFormatException;
import java.io.UncheckedIOException;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * What a runtime's deadlock detection sends to other silos, recorded for tests, as silo {@value #SILO}.
 */
public final class RecordingRemoteWaits implements RemoteWaits {

    /** The silo id it answers. */
    public static final String SILO = "silo-0";

    private final boolean failing;

    private final List<WaitProbe> probes = new CopyOnWriteArrayList<>();

    private final List<DeadlockVictim> victims = new CopyOnWriteArrayList<>();

    private final List<String> sent = new CopyOnWriteArrayList<>();

    private final List<Object> passedOn = new CopyOnWriteArrayList<>();

    /**
     * Creates a recorder.
     * @param failing whether a probe cannot be sent (as {@code DataOutputStream.writeUTF} refuses an actor id of more
     * than 65,535 bytes)
     */
    public RecordingRemoteWaits(boolean failing) {
        this.failing = failing;
    }

    @Override
    public String siloId() {
        return SILO;
    }

    @Override
    public void probe(String siloId, WaitProbe probe) {
        if (this.failing) {
            throw new UncheckedIOException(new UTFDataFormatException("encoded string too long"));
        }
        this.probes.add(probe);
        this.sent.add("probe to " + siloId);
    }

    @Override
    public void breakDeadlock(String siloId, DeadlockVictim victim) {
        this.victims.add(victim);
        this.sent.add("victim to " + siloId);
    }

    @Override
    public void passOn(WaitProbe probe) {
        this.passedOn.add(probe);
    }

    @Override
    public void passOn(DeadlockVictim victim) {
        this.passedOn.add(victim);
    }

    /** The probes sent, in order. */
    public List<WaitProbe> probes() {
        return this.probes;
    }

    /** The victims sent, in order. */
    public List<DeadlockVictim> victims() {
        return this.victims;
    }

    /** What was sent where, in order: {@code probe to <silo>} and {@code victim to <silo>}. */
    public List<String> sent() {
        return this.sent;
    }

    /** The probes and victims handed to {@link #passOn}, in order. */
    public List<Object> passedOn() {
        return this.passedOn;
    }
}
