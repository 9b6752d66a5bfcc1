package dev.quark.runtime.internal;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

import dev.quark.runtime.ActorAddress;
import dev.quark.runtime.routing.ActivationGate;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The activations whose {@link ActivationGate} is still deciding ({@code admit} runs), with the call chains of the
 * calls waiting behind their starting call that the gate was asked about. A call of another chain may be a call back
 * into a turn that another silo still runs for the actor (one being handed over to this silo): it must not wait here
 * behind the starting call, whose activation waits for that turn to end. The gate is asked where such a chain goes
 * ({@link ActivationGate#callChainElsewhere}), once per chain and activation, on a virtual thread of its own, for at
 * most {@value #MAX_CHAINS} chains per activation; the calls of a chain it sends elsewhere leave the mailbox for that
 * silo, in order, those queued later too, for as long as the gate decides. Nothing is taken once it has decided: the
 * calls left then belong to what it decided (run here, follow the starting call, or start the activation again).
 */
final class GateWaits {

    private static final Logger logger = LoggerFactory.getLogger(GateWaits.class);

    /** How many chains the gate is asked about at most per activation. */
    static final int MAX_CHAINS = 16;

    private final ConcurrentHashMap<Activation, Deciding> deciding = new ConcurrentHashMap<>();

    /**
     * Notes that the gate decides on an activation started by a call of a chain, and asks about the other chains of
     * the calls that already wait behind it.
     */
    void deciding(Activation activation, long startingChain, ActivationGate gate) {
        Deciding decision = new Deciding(startingChain);
        this.deciding.put(activation, decision);
        for (long chain : activation.waitingChains(MAX_CHAINS)) {
            if (decision.firstAsk(chain)) {
                ask(activation, decision, chain, gate);
            }
        }
    }

    /**
     * Notes that the gate has decided on an activation: from then on no call leaves its mailbox for another silo
     * here. Called under the activation's lock, so that a call is never taken once the decision is acted on.
     */
    void decided(Activation activation) {
        Deciding decision = this.deciding.remove(activation);
        if (decision != null) {
            decision.open = false;
        }
    }

    /**
     * Tells of a call queued while its activation was activating: when the gate still decides on it, the call goes at
     * once where the gate sent its chain, or the gate is asked about a chain it was not asked about yet.
     */
    void queued(Activation activation, Invocation invocation, ActivationGate gate) {
        if (invocation.task() != null || this.deciding.isEmpty()) {
            return;
        }
        Deciding decision = this.deciding.get(activation);
        if (decision == null) {
            return;
        }
        long chain = invocation.callChainId();
        String silo = decision.answers.get(chain);
        if (silo != null && !silo.isEmpty()) {
            sendWaiting(activation, decision, chain, silo);
        }
        else if (silo == null && decision.firstAsk(chain)) {
            ask(activation, decision, chain, gate);
        }
    }

    private void ask(Activation activation, Deciding decision, long chain, ActivationGate gate) {
        ActorAddress address = activation.identity.address();
        Thread.ofVirtual().name("quark-gate-chain").start(() -> {
            String silo;
            try {
                silo = gate.callChainElsewhere(address, chain);
            }
            catch (RuntimeException ex) {
                logger.warn("The activation gate failed to tell where the calls of chain {} for {} go",
                        Long.toHexString(chain), address, ex);
                silo = null;
            }
            decision.answers.put(chain, (silo != null) ? silo : Deciding.STAYS);
            if (silo != null) {
                sendWaiting(activation, decision, chain, silo);
            }
        });
    }

    /** Sends the calls of a chain that wait for an activation to a silo, while its gate still decides. */
    private static void sendWaiting(Activation activation, Deciding decision, long chain, String silo) {
        Invocation taken;
        synchronized (activation) {
            taken = decision.open ? activation.takeWaitingOfChain(chain) : null;
        }
        if (taken != null) {
            logger.debug("Calls of chain {} for {} go to silo {}, where a turn of that chain runs",
                    Long.toHexString(chain), activation.identity, silo);
        }
        List<Invocation> relocated = new ArrayList<>();
        for (Invocation invocation = taken; invocation != null; ) {
            @Nullable Invocation next = InvocationQueue.unlink(invocation);
            relocated.add(invocation);
            invocation = next;
        }
        activation.catalog().relocate(silo, relocated);
    }

    /** What the gate was asked and answered while it decides on one activation. */
    private static final class Deciding {

        /** An answer that the calls of a chain stay: the gate named no silo, or failed. */
        static final String STAYS = "";

        /** The answer per chain asked about: a silo or {@link #STAYS}; absent while pending or not asked. */
        final Map<Long, String> answers = new ConcurrentHashMap<>();

        /** Cleared under the activation's lock once the gate has decided. */
        volatile boolean open = true;

        private final long startingChain;

        /** The chains asked about; guarded by this. */
        private final Set<Long> asked = new HashSet<>();

        Deciding(long startingChain) {
            this.startingChain = startingChain;
        }

        /**
         * Returns whether a chain is to be asked about now: not the starting call's, not asked before, and within
         * {@value #MAX_CHAINS} per activation.
         */
        synchronized boolean firstAsk(long chain) {
            return chain != this.startingChain && this.asked.size() < MAX_CHAINS && this.asked.add(chain);
        }
    }
}
