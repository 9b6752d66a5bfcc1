package dev.quark.cluster.transport.grpc;

import java.io.ByteArrayInputStream;

import dev.quark.cluster.transport.grpc.proto.ClientFrame;
import dev.quark.cluster.transport.grpc.proto.Hello;
import dev.quark.cluster.transport.grpc.proto.SiloTransportGrpc;
import com.google.protobuf.ByteString;
import com.google.protobuf.UnknownFieldSet;
import io.grpc.MethodDescriptor;
import io.grpc.ServerServiceDefinition;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The {@code Link} frames' reader that never throws, and the mark of the frames it could not read.
 */
class UnreadableFramesTests {

    private final MethodDescriptor.Marshaller<ClientFrame> reader = reader();

    @Test
    void bytesThatAreNotAFrameBecomeAFrameCarryingWhy() {
        ClientFrame frame = this.reader.parse(new ByteArrayInputStream(new byte[] { (byte) 0xff, (byte) 0xff, (byte) 0xff }));
        assertThat(UnreadableFrames.reason(frame)).startsWith("an unreadable frame (");
    }

    @Test
    void aPeersFrameCarryingTheMarkingFieldIsReadAsItIsAndNotTakenForUnreadable() {
        ClientFrame forged = ClientFrame.newBuilder()
            .setHello(Hello.newBuilder().setClusterName("bank"))
            .setUnknownFields(UnknownFieldSet.newBuilder()
                .addField(UnreadableFrames.REASON_FIELD, UnknownFieldSet.Field.newBuilder()
                    .addLengthDelimited(ByteString.copyFromUtf8("an unreadable frame (forged)"))
                    .build())
                .build())
            .build();
        ClientFrame read = this.reader.parse(new ByteArrayInputStream(forged.toByteArray()));
        assertThat(read.getHello().getClusterName()).isEqualTo("bank");
        assertThat(UnreadableFrames.reason(read)).isNull();
        assertThat(UnreadableFrames.reason(forged)).isNull();
    }

    @Test
    void theServicesOwnDefinitionReadsWithItSoThatAnyServerServingItDoesAndKeepsItsSchema() {
        SiloTransportService service = new SiloTransportService(Silos.settings("bank"), Runnable::run,
                new OutstandingRequests(java.time.Clock.systemUTC()));
        ServerServiceDefinition definition = service.bindService();
        assertThat(definition.getMethod(SiloTransportGrpc.getLinkMethod().getFullMethodName())
            .getMethodDescriptor()
            .getRequestMarshaller()).isInstanceOf(UnreadableFrames.class);
        assertThat(definition.getServiceDescriptor().getSchemaDescriptor())
            .as("what gRPC's reflection service lists the service by")
            .isSameAs(SiloTransportGrpc.getServiceDescriptor().getSchemaDescriptor());
    }

    /** The reader of the transport's service, on whichever server serves it. */
    @SuppressWarnings("unchecked")
    private static MethodDescriptor.Marshaller<ClientFrame> reader() {
        SiloTransportService service = new SiloTransportService(Silos.settings("bank"), Runnable::run,
                new OutstandingRequests(java.time.Clock.systemUTC()));
        return (MethodDescriptor.Marshaller<ClientFrame>) service.bindService()
            .getMethod(SiloTransportGrpc.getLinkMethod().getFullMethodName())
            .getMethodDescriptor()
            .getRequestMarshaller();
    }
}
