package dev.quark.testkit.filter;

import java.util.List;
import java.util.Map;

import dev.quark.actor.Actor;
import dev.quark.runtime.ActorAddress;
import dev.quark.runtime.ActorCall;
import dev.quark.runtime.MethodDescriptor;
import org.jspecify.annotations.Nullable;

/**
 * A call to hand an {@link dev.quark.runtime.filter.IncomingCallFilter} or an
 * {@link dev.quark.runtime.filter.OutgoingCallFilter} in a test, without a runtime: the address, the method and the
 * metadata are the test's; the rest is fixed (no arguments, request id {@code "r"}, call chain {@code 1}, no
 * deadline). A subclass adds the side it plays and writes {@code proceed()}, the one thing a filter test varies:
 * <pre>{@code
 * final class Call extends StubActorCall implements IncomingCall {
 *
 *     Call(Map<String, String> metadata) {
 *         super(new ActorAddress("traced", "one"), StubActorCall.work(Traced.class, CallKind.SYNCHRONOUS), metadata);
 *     }
 *
 *     public Object proceed() {
 *         return "done";
 *     }
 * }
 * }</pre>
 * {@code proceed} is left to the subclass because an incoming and an outgoing call declare it with different
 * results: a class cannot implement both.
 */
public abstract class StubActorCall implements ActorCall {

    private final ActorAddress address;

    private final MethodDescriptor method;

    private final Map<String, String> metadata;

    /**
     * Creates a call.
     * @param address the called actor
     * @param method the called method, for example one from {@link #work(Class, MethodDescriptor.CallKind)}
     * @param metadata what {@link #metadata()} returns: kept as given, not copied
     */
    protected StubActorCall(ActorAddress address, MethodDescriptor method, Map<String, String> metadata) {
        this.address = address;
        this.method = method;
        this.metadata = metadata;
    }

    /**
     * Describes a method {@code work} without parameters of a contract: it returns a {@code String}, or nothing when
     * it is one-way.
     * @param contract the contract said to declare it (it need not)
     * @param kind how its caller waits for it
     * @return the method, with id {@code 0}
     */
    public static MethodDescriptor work(Class<? extends Actor> contract, MethodDescriptor.CallKind kind) {
        return new MethodDescriptor(contract, "work", "work", 0, List.of(),
                (kind == MethodDescriptor.CallKind.ONE_WAY) ? void.class : String.class, kind);
    }

    @Override
    public ActorAddress address() {
        return this.address;
    }

    @Override
    public MethodDescriptor method() {
        return this.method;
    }

    @Override
    public List<@Nullable Object> arguments() {
        return List.of();
    }

    @Override
    public String requestId() {
        return "r";
    }

    @Override
    public Map<String, String> metadata() {
        return this.metadata;
    }

    @Override
    public long callChainId() {
        return 1;
    }

    @Override
    public long deadlineEpochMillis() {
        return Long.MAX_VALUE;
    }
}
