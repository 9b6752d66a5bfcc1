package dev.quark.runtime.internal;

import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Map;

import dev.quark.runtime.ActorAddress;
import dev.quark.runtime.ActorCall;
import dev.quark.runtime.MethodDescriptor;
import dev.quark.runtime.routing.ReroutedCall;
import org.jspecify.annotations.Nullable;

/**
 * An invocation of a contract method as filters and transports see it. Created only when someone looks:
 * a call through no filter and to no other silo never allocates one.
 */
class CallView implements ActorCall, ReroutedCall {

    final Invocation invocation;

    final ActorMethod method;

    CallView(Invocation invocation, ActorMethod method) {
        this.invocation = invocation;
        this.method = method;
    }

    @Override
    public ActorAddress address() {
        return this.invocation.address();
    }

    @Override
    public MethodDescriptor method() {
        return this.method.descriptor();
    }

    @Override
    public List<@Nullable Object> arguments() {
        Object[] arguments = this.invocation.arguments();
        return (arguments != null) ? Collections.unmodifiableList(Arrays.asList(arguments)) : List.of();
    }

    @Override
    public String requestId() {
        return this.invocation.requestId();
    }

    @Override
    public Map<String, String> metadata() {
        return this.invocation.metadata();
    }

    @Override
    public long callChainId() {
        return this.invocation.callChainId();
    }

    @Override
    public long deadlineEpochMillis() {
        return this.invocation.deadlineMillis();
    }

    @Override
    public int reroutes() {
        return this.invocation.reroutes;
    }

    @Override
    public boolean retried() {
        return this.invocation.retried;
    }

    @Override
    public boolean relocated() {
        return this.invocation.relocated;
    }

    @Override
    public String toString() {
        return "Call " + address() + "." + this.method.name() + "()";
    }
}
