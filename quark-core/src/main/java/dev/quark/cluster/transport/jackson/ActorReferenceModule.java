package dev.quark.cluster.transport.jackson;

import java.util.function.Supplier;

import dev.quark.actor.Actor;
import dev.quark.actor.ActorRef;
import dev.quark.runtime.ActorRuntime;
import org.jspecify.annotations.Nullable;
import tools.jackson.core.JsonGenerator;
import tools.jackson.core.JsonParser;
import tools.jackson.core.JsonToken;
import tools.jackson.core.Version;
import tools.jackson.databind.BeanDescription;
import tools.jackson.databind.DeserializationConfig;
import tools.jackson.databind.DeserializationContext;
import tools.jackson.databind.JacksonModule;
import tools.jackson.databind.JavaType;
import tools.jackson.databind.SerializationConfig;
import tools.jackson.databind.SerializationContext;
import tools.jackson.databind.ValueDeserializer;
import tools.jackson.databind.ValueSerializer;
import tools.jackson.databind.deser.Deserializers;
import tools.jackson.databind.jsontype.TypeDeserializer;
import tools.jackson.databind.jsontype.TypeSerializer;
import tools.jackson.databind.ser.Serializers;

import com.fasterxml.jackson.annotation.JsonFormat;

/**
 * Writes every actor reference as a two-element array, {@code [contract wire name, actor id]}, and reads it
 * back as a reference of this silo's runtime wherever the declared type is an actor contract,
 * {@link ActorRef} or {@link Actor} (also inside collections, maps, {@code Optional}s and records).
 * <p>
 * The contract comes from the declared type when its wire name matches; otherwise (a sub-contract, or a
 * value declared as {@code ActorRef}) from the wire names the runtime knows, which must name a contract
 * assignable to the declared type. A value declared as {@code Object} is read back as Jackson reads any
 * array: a list of two strings.
 */
final class ActorReferenceModule extends JacksonModule {

    private final Supplier<ActorRuntime> runtime;

    ActorReferenceModule(Supplier<ActorRuntime> runtime) {
        this.runtime = runtime;
    }

    @Override
    public String getModuleName() {
        return "quark-actor-references";
    }

    @Override
    public Version version() {
        return Version.unknownVersion();
    }

    @Override
    public void setupModule(SetupContext context) {
        ReferenceSerializer serializer = new ReferenceSerializer(this.runtime);
        context.addSerializers(new Serializers.Base() {

            @Override
            public @Nullable ValueSerializer<?> findSerializer(SerializationConfig config, JavaType type,
                    BeanDescription.Supplier description, JsonFormat.@Nullable Value format) {
                Class<?> raw = type.getRawClass();
                return (ActorRef.class.isAssignableFrom(raw) || isContract(raw)) ? serializer : null;
            }
        });
        context.addDeserializers(new Deserializers.Base() {

            @Override
            public @Nullable ValueDeserializer<?> findBeanDeserializer(JavaType type, DeserializationConfig config,
                    BeanDescription.Supplier description) {
                Class<?> raw = type.getRawClass();
                return hasDeserializerFor(config, raw) ? new ReferenceDeserializer(runtime(), raw) : null;
            }

            @Override
            public boolean hasDeserializerFor(DeserializationConfig config, Class<?> type) {
                return type == ActorRef.class || isContract(type);
            }
        });
    }

    private Supplier<ActorRuntime> runtime() {
        return this.runtime;
    }

    /** An actor contract or {@link Actor} itself: an interface extending {@code Actor}. */
    private static boolean isContract(Class<?> type) {
        return type.isInterface() && Actor.class.isAssignableFrom(type);
    }

    private static final class ReferenceSerializer extends ValueSerializer<Object> {

        private final Supplier<ActorRuntime> runtime;

        ReferenceSerializer(Supplier<ActorRuntime> runtime) {
            this.runtime = runtime;
        }

        @Override
        public void serialize(Object value, JsonGenerator generator, SerializationContext context) {
            if (!(value instanceof ActorRef reference)) {
                throw new IllegalArgumentException(value.getClass().getName() + " is not an actor reference: pass "
                        + "a reference from ActorRefFactory.get(...), not the actor object");
            }
            generator.writeStartArray(value, 2);
            generator.writeString(this.runtime.get().wireNameOf(reference.actorContract()));
            generator.writeString(reference.actorId());
            generator.writeEndArray();
        }

        /** References carry their contract themselves: no type id, even under default typing. */
        @Override
        public void serializeWithType(Object value, JsonGenerator generator, SerializationContext context,
                TypeSerializer types) {
            serialize(value, generator, context);
        }
    }

    private static final class ReferenceDeserializer extends ValueDeserializer<Object> {

        private final Supplier<ActorRuntime> runtime;

        /** An actor contract, {@link Actor} or {@link ActorRef}. */
        private final Class<?> declared;

        ReferenceDeserializer(Supplier<ActorRuntime> runtime, Class<?> declared) {
            this.runtime = runtime;
            this.declared = declared;
        }

        @Override
        public Object deserialize(JsonParser parser, DeserializationContext context) {
            if (!parser.isExpectedStartArrayToken()) {
                return context.reportInputMismatch(this, "%s", "An actor reference is an array "
                        + "[contract wire name, actor id], found " + parser.currentToken());
            }
            String wireName = parser.nextStringValue();
            String id = (wireName != null) ? parser.nextStringValue() : null;
            if (wireName == null || id == null || parser.nextToken() != JsonToken.END_ARRAY) {
                return context.reportInputMismatch(this, "%s",
                        "An actor reference is an array of two strings [contract wire name, actor id]");
            }
            ActorRuntime runtime = this.runtime.get();
            Class<? extends Actor> contract = contractOf(runtime, wireName);
            if (contract == null) {
                String reason = (runtime.contractNamed(wireName) == null)
                        ? "this silo knows no contract by that name (declare it with callableContract)"
                        : "it is not of that type";
                return context.reportInputMismatch(this, "%s", "A reference to actor contract '" + wireName
                        + "' cannot be read as " + this.declared.getName() + ": " + reason);
            }
            return runtime.get(contract, id);
        }

        private @Nullable Class<? extends Actor> contractOf(ActorRuntime runtime, String wireName) {
            if (this.declared != Actor.class && this.declared != ActorRef.class) {
                Class<? extends Actor> contract = this.declared.asSubclass(Actor.class);
                if (runtime.wireNameOf(contract).equals(wireName)) {
                    return contract;
                }
            }
            Class<? extends Actor> named = runtime.contractNamed(wireName);
            return (named != null && (this.declared == ActorRef.class || this.declared.isAssignableFrom(named)))
                    ? named : null;
        }

        /** References carry their contract themselves: no type id, even under default typing. */
        @Override
        public Object deserializeWithType(JsonParser parser, DeserializationContext context, TypeDeserializer types) {
            return deserialize(parser, context);
        }

        @Override
        public Class<?> handledType() {
            return this.declared;
        }

        @Override
        public boolean isCachable() {
            return true;
        }
    }
}
