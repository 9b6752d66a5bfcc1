package dev.quark.runtime.internal;

import java.util.Map;

import dev.quark.runtime.ActorAddress;
import dev.quark.runtime.ActorMetrics;
import dev.quark.runtime.fixtures.Counter;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * How the deadlock detector finds the call a probe or a victim notice from another silo names in a mailbox: by
 * its chain and its method, never a one-way message of the chain.
 */
class InvocationQueueTests {

    private static final ActorAddress ADDRESS = new ActorAddress("Counter", "c");

    private final Map<String, ActorMethod> methods = methods();

    @Test
    void callOfTheChainIsFoundBehindAOneWayMessageOfTheSameChain() {
        InvocationQueue queue = new InvocationQueue();
        Invocation message = invocation("add", 7);
        Invocation call = invocation("get", 7);
        queue.add(message);
        queue.add(call);
        assertThat(queue.firstOf(7, "get")).isSameAs(call);
    }

    @Test
    void oneWayMessageIsNeverTheWaitingCall() {
        InvocationQueue queue = new InvocationQueue();
        queue.add(invocation("add", 7));
        assertThat(queue.firstOf(7, "add")).isNull();
    }

    @Test
    void callOfAnotherMethodOrChainIsNotTheWaitingCall() {
        InvocationQueue queue = new InvocationQueue();
        queue.add(invocation("get", 8));
        Invocation done = invocation("get", 7);
        done.cancel(false);
        queue.add(done);
        assertThat(queue.firstOf(7, "get")).isNull();
        assertThat(queue.firstOf(8, "add")).isNull();
        assertThat(queue.firstOf(8, "get")).isNotNull();
    }

    private Invocation invocation(String method, long chainId) {
        return new Invocation(null, ADDRESS, this.methods.get(method), null, new Object[0], chainId, null, Map.of(),
                0);
    }

    private static Map<String, ActorMethod> methods() {
        Map<String, ActorMethod> byName = new java.util.HashMap<>();
        ContractIntrospector.methodsOf(Counter.class, ActorMetrics.NONE).values()
            .forEach((method) -> byName.put(method.name(), method));
        return byName;
    }
}
