package dev.quark.cluster.transport.jackson;

import java.util.Collection;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;

import dev.quark.cluster.transport.PayloadCodec;
import dev.quark.cluster.transport.PayloadCodecException;
import dev.quark.cluster.transport.RemoteActorException;
import dev.quark.runtime.ActorRuntime;
import dev.quark.runtime.MethodDescriptor;
import org.jspecify.annotations.Nullable;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.ObjectMapper;
import tools.jackson.databind.cfg.MapperBuilder;

/**
 * The {@link PayloadCodec} on the application's Jackson 3 mapper, in the mapper's format: JSON with a
 * {@code JsonMapper}, CBOR or Smile with a {@code CBORMapper} or {@code SmileMapper}. What the mapper can
 * write and read travels: records, enums, collections, maps, arrays, {@code Optional}, {@code java.time}
 * types, and anything the application's modules support.
 * <ul>
 * <li><b>Arguments</b> are one array, each element written and read with its parameter's generic type;
 * <b>results</b> with the result type ({@code void} results are no bytes). The readers and writers of a
 * method are built on its first call and cached.</li>
 * <li><b>Actor references</b> ({@link dev.quark.actor.ActorRef}) are written as {@code [contract wire
 * name, actor id]} and read back, wherever the declared type is a contract, {@code ActorRef} or
 * {@code Actor}, as references of this silo's runtime: a call through one goes wherever this silo routes it.
 * A contract that is not the declared type is resolved through {@link ActorRuntime#contractNamed(String)}:
 * it must be hosted here, declared callable, or referenced before.</li>
 * <li><b>Quark's values</b> without a public constructor: a {@link dev.quark.actor.ReminderSchedule} is written as
 * the object of its parts and rebuilt through its factory methods, checked as one built on this silo.</li>
 * <li><b>Failures</b> travel as type name and message, with the type names and messages of up to 8 causes;
 * no stack trace. They are rebuilt as their own type only when it is allowed — Quark's own exceptions
 * ({@code dev.quark.}), the JDK's common ones ({@link #jdkExceptionTypes()}) and the application's packages
 * given here — and has a public {@code (String message)} constructor, and only {@link Exception}s; the type
 * is looked up once, without running its static initialiser unless it is allowed. Anything else becomes a
 * {@link RemoteActorException} with the original type name and message. A rebuilt exception carries a
 * suppressed {@code RemoteActorException} marking it as thrown on another silo. Type names longer than 512
 * and messages longer than 4096 characters are cut.</li>
 * <li><b>Errors</b>: bytes that are not what the method expects (malformed, truncated, another arity,
 * other types) raise a {@link PayloadCodecException} naming the method and the argument; a failure that
 * cannot be decoded is returned as one.</li>
 * </ul>
 * Classes of allowed exceptions, and the {@link ExceptionTypeContributor}s listed in {@code META-INF/services},
 * are loaded through the thread context class loader of the thread that creates the codec (the application's,
 * under Spring Boot), or this class's loader when it has none. A contributor that cannot be used fails the
 * codec's construction with an {@link IllegalStateException} naming it.
 */
public final class JacksonPayloadCodec implements PayloadCodec {

    /** The longest reason from the serializer a codec message quotes. */
    private static final int MAX_REASON_LENGTH = 500;

    private final ObjectMapper mapper;

    private final ConcurrentHashMap<MethodDescriptor, MethodPayload> methods = new ConcurrentHashMap<>();

    private final FailureCodec failures;

    /**
     * Creates a codec.
     * @param mapper the application's mapper; the codec uses a copy with its reference module added
     * @param runtime this silo's runtime: references are read back as its references
     * @param allowedExceptionPackages the application's packages whose exceptions are rebuilt as themselves
     * (with their sub-packages), e.g. {@code com.example.bank}
     * @throws IllegalArgumentException naming an allowed package that is not a package name
     * @throws IllegalStateException naming an {@link ExceptionTypeContributor} that cannot be loaded, throws,
     * adds a type that is not an exception or a type already added (and what added it first)
     */
    public JacksonPayloadCodec(ObjectMapper mapper, ActorRuntime runtime, Collection<String> allowedExceptionPackages) {
        this(mapper, fixed(runtime), allowedExceptionPackages);
    }

    /**
     * Creates a codec for a silo whose runtime is built after the codec, as when the transport the runtime
     * is built with needs the codec: the runtime is asked for on the first reference the codec writes or
     * reads, and kept.
     * @param mapper the application's mapper; the codec uses a copy with its reference module added
     * @param runtime supplies this silo's runtime
     * @param allowedExceptionPackages the application's packages whose exceptions are rebuilt as themselves
     * (with their sub-packages), e.g. {@code com.example.bank}
     * @throws IllegalArgumentException naming an allowed package that is not a package name
     * @throws IllegalStateException naming an {@link ExceptionTypeContributor} that cannot be loaded, throws,
     * adds a type that is not an exception or a type already added (and what added it first)
     */
    public JacksonPayloadCodec(ObjectMapper mapper, Supplier<ActorRuntime> runtime,
            Collection<String> allowedExceptionPackages) {
        Objects.requireNonNull(mapper, "mapper must not be null");
        Objects.requireNonNull(runtime, "runtime must not be null");
        ExceptionAllowList allowList = new ExceptionAllowList(allowedExceptionPackages);
        MapperBuilder<?, ?> builder = mapper.rebuild();
        builder.addModule(new ActorReferenceModule(new RuntimeReference(runtime)));
        builder.addModule(new QuarkValuesModule());
        this.mapper = builder.build();
        ClassLoader contextLoader = Thread.currentThread().getContextClassLoader();
        ClassLoader ownLoader = JacksonPayloadCodec.class.getClassLoader();
        ClassLoader loader = (contextLoader != null) ? contextLoader : ownLoader;
        // Contributors through quark-core's own loader too: a codec built on a thread whose context loader cannot
        // see the application's jars (a common-pool thread in a Spring Boot fat jar) still finds the modules' types.
        this.failures = new FailureCodec(this.mapper, new ExceptionFactories(allowList, loader),
                (loader == ownLoader) ? ExceptionTypeTable.load(loader) : ExceptionTypeTable.load(loader, ownLoader));
    }

    /**
     * Returns the JDK's exceptions the codec rebuilds as themselves, for native-image hints.
     * @return their fully qualified class names
     */
    public static Set<String> jdkExceptionTypes() {
        return ExceptionAllowList.JDK_TYPES;
    }

    @Override
    public byte[] encodeArguments(MethodDescriptor method, @Nullable Object[] arguments) {
        return payloadOf(method).encodeArguments(Objects.requireNonNull(arguments, "arguments must not be null"));
    }

    @Override
    public @Nullable Object[] decodeArguments(MethodDescriptor method, byte[] payload) {
        return payloadOf(method).decodeArguments(Objects.requireNonNull(payload, "payload must not be null"));
    }

    @Override
    public byte[] encodeResult(MethodDescriptor method, @Nullable Object result) {
        return payloadOf(method).encodeResult(result);
    }

    @Override
    public @Nullable Object decodeResult(MethodDescriptor method, byte[] payload) {
        return payloadOf(method).decodeResult(Objects.requireNonNull(payload, "payload must not be null"));
    }

    @Override
    public byte[] encodeFailure(Throwable failure) {
        return this.failures.encode(Objects.requireNonNull(failure, "failure must not be null"));
    }

    @Override
    public Throwable decodeFailure(byte[] payload) {
        return this.failures.decode(Objects.requireNonNull(payload, "payload must not be null"));
    }

    private MethodPayload payloadOf(MethodDescriptor method) {
        MethodPayload payload = this.methods.get(method);
        if (payload != null) {
            return payload;
        }
        Objects.requireNonNull(method, "method must not be null");
        try {
            return this.methods.computeIfAbsent(method, (key) -> new MethodPayload(this.mapper, key));
        }
        catch (RuntimeException ex) {
            throw new PayloadCodecException("Cannot (de)serialize the payloads of " + method + ": " + reason(ex), ex);
        }
    }

    /** What went wrong, in the serializer's words, without the location it adds. */
    static String reason(Throwable failure) {
        String message = (failure instanceof JacksonException jackson) ? jackson.getOriginalMessage()
                : failure.getMessage();
        if (message == null || message.isBlank()) {
            message = failure.getClass().getName();
        }
        if (failure instanceof JacksonException jackson && !jackson.getPath().isEmpty()) {
            message = message + " (at " + jackson.getPathReference() + ")";
        }
        return (message.length() <= MAX_REASON_LENGTH) ? message : message.substring(0, MAX_REASON_LENGTH) + "...";
    }

    private static Supplier<ActorRuntime> fixed(ActorRuntime runtime) {
        Objects.requireNonNull(runtime, "runtime must not be null");
        return () -> runtime;
    }

    /** Asks for the runtime once, when a reference first needs it. */
    private static final class RuntimeReference implements Supplier<ActorRuntime> {

        private final Supplier<ActorRuntime> source;

        private volatile @Nullable ActorRuntime runtime;

        RuntimeReference(Supplier<ActorRuntime> source) {
            this.source = source;
        }

        @Override
        public ActorRuntime get() {
            ActorRuntime known = this.runtime;
            if (known == null) {
                known = Objects.requireNonNull(this.source.get(),
                        "The runtime supplier of the payload codec returned null: is the runtime built yet?");
                this.runtime = known;
            }
            return known;
        }
    }
}
