package dev.quark.cluster.transport.jackson;

import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicReference;

import dev.quark.actor.ActorRefFactory;
import dev.quark.cluster.transport.PayloadCodec;
import dev.quark.cluster.transport.jackson.fixtures.AccountActor;
import dev.quark.cluster.transport.jackson.fixtures.Bank;
import dev.quark.cluster.transport.jackson.fixtures.BankActor;
import dev.quark.runtime.ActorCall;
import dev.quark.runtime.ActorRuntime;
import dev.quark.runtime.MethodDescriptor;
import dev.quark.runtime.routing.ActorLocation;
import dev.quark.runtime.routing.InboundCall;
import org.jspecify.annotations.Nullable;
import tools.jackson.databind.ObjectMapper;

/**
 * Two silos in one JVM, each with its own runtime and codec: the client hosts nothing and sends every call to
 * the bank silo through the codecs, the way a transport does (arguments encoded by the caller's codec and
 * decoded by the callee's with the callee's method descriptor, results and failures back the same way).
 */
final class LoopbackSilos implements AutoCloseable {

    final ActorRuntime bankSilo;

    final ActorRuntime client;

    final PayloadCodec bankCodec;

    final PayloadCodec clientCodec;

    LoopbackSilos(ObjectMapper mapper, List<String> allowedPackages) {
        AtomicReference<ActorRefFactory> bankActors = new AtomicReference<>();
        this.bankSilo = ActorRuntime.builder()
            .actor(AccountActor.class)
            .actor(BankActor.class, () -> new BankActor(bankActors::get))
            .build();
        bankActors.set(this.bankSilo);
        this.bankCodec = new JacksonPayloadCodec(mapper, this.bankSilo, allowedPackages);
        AtomicReference<ActorRuntime> client = new AtomicReference<>();
        this.clientCodec = new JacksonPayloadCodec(mapper, client::get, allowedPackages);
        this.client = ActorRuntime.builder()
            .callableContract(Bank.class)
            .actorLocator((address) -> ActorLocation.remote("bank-silo"))
            .remoteCallSender((silo, call) -> send(call))
            .build();
        client.set(this.client);
    }

    private CompletionStage<@Nullable Object> send(ActorCall call) {
        byte[] arguments = this.clientCodec.encodeArguments(call.method(), call.arguments().toArray());
        MethodDescriptor target = this.bankSilo.inbound().method(call.address().typeName(), call.method().id());
        @Nullable Object[] decoded = this.bankCodec.decodeArguments(target, arguments);
        CompletableFuture<@Nullable Object> delivered = this.bankSilo.inbound()
            .deliver(new InboundCall(call.address(), target.id(), decoded, call.callChainId(), call.requestId(),
                    call.metadata(), call.deadlineEpochMillis()));
        return delivered.handle((result, failure) -> {
            if (failure != null) {
                throw new CompletionException(this.clientCodec.decodeFailure(this.bankCodec.encodeFailure(failure)));
            }
            return this.clientCodec.decodeResult(call.method(), this.bankCodec.encodeResult(target, result));
        });
    }

    @Override
    public void close() {
        this.client.close();
        this.bankSilo.close();
    }
}
