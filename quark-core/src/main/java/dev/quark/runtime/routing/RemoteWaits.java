package dev.quark.runtime.routing;

/**
 * Carries deadlock detection across silos: deadlock probes to the silo where a call waits, and the order to fail
 * a cycle's victim to the silo that holds it. A cluster's routing implements it; the receiving silo hands both to
 * {@link InboundCalls#probe} and {@link InboundCalls#breakDeadlock}. Both are hints: what cannot be sent is
 * dropped, and the calls of an undetected cycle end with their call timeout.
 */
public interface RemoteWaits {

    /** One silo: no call waits anywhere else. */
    RemoteWaits NONE = new RemoteWaits() {

        @Override
        public String siloId() {
            return "local";
        }

        @Override
        public void probe(String siloId, WaitProbe probe) {
        }

        @Override
        public void breakDeadlock(String siloId, DeadlockVictim victim) {
        }
    };

    /**
     * Returns this silo's id, which the probes name as initiator and as where calls were delivered.
     * @return the id
     */
    String siloId();

    /**
     * Sends a probe to the silo a call went to.
     * @param siloId the silo, never this one
     * @param probe the probe
     */
    void probe(String siloId, WaitProbe probe);

    /**
     * Tells a silo to fail a call that waits there, to break a cycle.
     * @param siloId the silo, never this one
     * @param victim the call
     */
    void breakDeadlock(String siloId, DeadlockVictim victim);

    /**
     * Passes a probe on for a call that came to this silo and that its runtime neither runs nor holds: to the
     * silo this one passed the call on to, if it did (their views of the actor's owner disagreed). Does nothing by
     * default.
     * @param probe the probe, as it came
     */
    default void passOn(WaitProbe probe) {
    }

    /**
     * Passes a cycle's victim on, as {@link #passOn(WaitProbe)} does a probe, when this silo's runtime does not
     * hold the call. Does nothing by default.
     * @param victim the call to fail
     */
    default void passOn(DeadlockVictim victim) {
    }
}
