package dev.quark.cluster.transport.grpc;

import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.List;

import dev.quark.cluster.transport.grpc.proto.ClientFrame;
import dev.quark.cluster.transport.grpc.proto.ServerFrame;
import dev.quark.cluster.transport.grpc.proto.SiloTransportGrpc;
import com.google.protobuf.ByteString;
import com.google.protobuf.UnknownFieldSet;
import io.grpc.MethodDescriptor;
import io.grpc.ServerMethodDefinition;
import io.grpc.ServerServiceDefinition;
import io.grpc.ServiceDescriptor;
import io.grpc.protobuf.ProtoUtils;
import org.jspecify.annotations.Nullable;

/**
 * Reads the frames of the {@code Link} method without ever failing: a frame that is not a {@code ClientFrame}
 * (random or truncated bytes) becomes a frame that carries only why it could not be read, which the service
 * refuses like any malformed envelope, and its stream carries on. gRPC's own marshaller throws instead, and gRPC
 * then ends the stream and logs the failure with its stack trace on the thread that parsed it (with
 * {@code directExecutor()}, Netty's event loop, where a flood of such frames delayed every other stream of that
 * loop). The transport's service definition carries this marshaller ({@code SiloTransportService#bindService}),
 * so it applies on whichever server serves it: the transport's own, or an application's (Spring Boot's gRPC
 * server, which binds the service and wraps it in its interceptors, keeping the method's marshallers).
 */
final class UnreadableFrames implements MethodDescriptor.Marshaller<ClientFrame> {

    /** The unknown field that carries the reason; the largest field number protobuf allows. */
    static final int REASON_FIELD = 536_870_911;

    /**
     * What the reason starts with: random bytes of this JVM's, which no peer can know. A peer can send a frame
     * with {@link #REASON_FIELD} (any field number parses as an unknown field), so the field alone proves nothing:
     * without this mark it is an unknown field like any other, ignored.
     */
    private static final ByteString MARK = mark();

    private static final MethodDescriptor.Marshaller<ClientFrame> PROTOBUF = ProtoUtils
        .marshaller(ClientFrame.getDefaultInstance());

    private UnreadableFrames() {
    }

    /**
     * Returns {@code definition} with this marshaller reading its {@code Link} frames, its other methods and its
     * schema (for gRPC's reflection service) as they are.
     * @param definition the transport service's generated definition
     * @return the definition to serve
     */
    @SuppressWarnings("unchecked")
    static ServerServiceDefinition tolerating(ServerServiceDefinition definition) {
        String linkName = SiloTransportGrpc.getLinkMethod().getFullMethodName();
        ServerMethodDefinition<ClientFrame, ServerFrame> generated =
                (ServerMethodDefinition<ClientFrame, ServerFrame>) definition.getMethod(linkName);
        if (generated == null) {
            throw new IllegalStateException("The gRPC transport's service has no method " + linkName);
        }
        MethodDescriptor<ClientFrame, ServerFrame> link = generated.getMethodDescriptor()
            .toBuilder()
            .setRequestMarshaller(new UnreadableFrames())
            .build();
        ServiceDescriptor original = definition.getServiceDescriptor();
        ServiceDescriptor.Builder descriptor = ServiceDescriptor.newBuilder(original.getName())
            .setSchemaDescriptor(original.getSchemaDescriptor());
        List<ServerMethodDefinition<?, ?>> others = new ArrayList<>();
        for (ServerMethodDefinition<?, ?> method : definition.getMethods()) {
            if (!method.getMethodDescriptor().getFullMethodName().equals(linkName)) {
                descriptor.addMethod(method.getMethodDescriptor());
                others.add(method);
            }
        }
        ServerServiceDefinition.Builder tolerant = ServerServiceDefinition
            .builder(descriptor.addMethod(link).build())
            .addMethod(ServerMethodDefinition.create(link, generated.getServerCallHandler()));
        others.forEach(tolerant::addMethod);
        return tolerant.build();
    }

    /**
     * Returns why a frame could not be read, or {@code null} for a frame that was read (also one a peer sent with
     * {@link #REASON_FIELD}: only this JVM's marshaller marks a frame unreadable).
     * @param frame a frame this marshaller returned
     * @return the reason, or {@code null}
     */
    static @Nullable String reason(ClientFrame frame) {
        UnknownFieldSet unknown = frame.getUnknownFields();
        if (!unknown.hasField(REASON_FIELD)) {
            return null;
        }
        for (ByteString value : unknown.getField(REASON_FIELD).getLengthDelimitedList()) {
            if (value.startsWith(MARK)) {
                return value.substring(MARK.size()).toString(StandardCharsets.UTF_8);
            }
        }
        return null;
    }

    private static ByteString mark() {
        byte[] bytes = new byte[16];
        new SecureRandom().nextBytes(bytes);
        return ByteString.copyFrom(bytes);
    }

    @Override
    public InputStream stream(ClientFrame value) {
        return PROTOBUF.stream(value);
    }

    @Override
    public ClientFrame parse(InputStream stream) {
        try {
            return PROTOBUF.parse(stream);
        }
        catch (RuntimeException ex) {
            Throwable cause = (ex.getCause() != null) ? ex.getCause() : ex;
            String reason = "an unreadable frame (" + cause.getMessage() + ")";
            return ClientFrame.newBuilder()
                .setUnknownFields(UnknownFieldSet.newBuilder()
                    .addField(REASON_FIELD, UnknownFieldSet.Field.newBuilder()
                        .addLengthDelimited(MARK.concat(ByteString.copyFromUtf8(reason)))
                        .build())
                    .build())
                .build();
        }
    }
}
