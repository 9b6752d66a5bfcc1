package dev.quark.autoconfigure.cluster;

import java.security.cert.X509Certificate;

import javax.net.ssl.X509KeyManager;

import dev.quark.autoconfigure.actors.QuarkActorsAutoConfiguration;
import dev.quark.autoconfigure.backend.QuarkBackendAutoConfiguration;
import dev.quark.autoconfigure.lease.QuarkLeasesAutoConfiguration;
import dev.quark.autoconfigure.reminders.QuarkRemindersAutoConfiguration;
import dev.quark.cluster.membership.SiloMembership;
import dev.quark.cluster.membership.TransportSecurity;
import dev.quark.cluster.transport.grpc.GrpcTransport;
import dev.quark.cluster.transport.grpc.SiloTls;
import dev.quark.testkit.tls.TestCertificate;
import dev.quark.testkit.tls.TestCertificateAuthority;
import io.grpc.TlsServerCredentials.ClientAuth;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.autoconfigure.ssl.SslAutoConfiguration;
import org.springframework.boot.grpc.server.autoconfigure.GrpcServerProperties;
import org.springframework.boot.jackson.autoconfigure.JacksonAutoConfiguration;
import org.springframework.boot.ssl.SslBundle;
import org.springframework.boot.ssl.SslBundleKey;
import org.springframework.boot.ssl.SslBundleRegistry;
import org.springframework.boot.ssl.SslBundles;
import org.springframework.boot.ssl.pem.PemSslStore;
import org.springframework.boot.ssl.pem.PemSslStoreBundle;
import org.springframework.boot.ssl.pem.PemSslStoreDetails;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * TLS between silos from a Spring SSL bundle ({@code quark.cluster.transport.ssl.*}): the silo's material, the
 * gRPC server's SSL settings, reloads, and every bad value refused naming it.
 */
@ExtendWith(OutputCaptureExtension.class)
class QuarkClusterGrpcTlsAutoConfigurationTests {

    private static final TestCertificateAuthority CLUSTER = TestCertificateAuthority.create("cluster-ca");

    private static final TestCertificate SILO = CLUSTER.issue("silo-0");

    private final ApplicationContextRunner contextRunner = new ApplicationContextRunner()
        .withConfiguration(AutoConfigurations.of(JacksonAutoConfiguration.class, QuarkActorsAutoConfiguration.class,
                QuarkBackendAutoConfiguration.class, QuarkLeasesAutoConfiguration.class,
                QuarkRemindersAutoConfiguration.class, QuarkClusterAutoConfiguration.class,
                QuarkClusterGrpcAutoConfiguration.class, SslAutoConfiguration.class))
        .withUserConfiguration(QuarkClusterAutoConfigurationTests.GreeterApplication.class)
        .withPropertyValues("quark.cluster.enabled=true", "quark.cluster.join-timeout=40s",
                "quark.cluster.transport.type=grpc", "spring.grpc.server.port=19571",
                "quark.cluster.silo.advertised-address=10.1.2.3");

    static String[] bundle(String name, TestCertificate certificate, TestCertificateAuthority trusted) {
        String prefix = "spring.ssl.bundle.pem." + name + ".";
        return new String[] { prefix + "keystore.certificate=" + certificate.certificatePem(),
                prefix + "keystore.private-key=" + certificate.privateKeyPem(),
                prefix + "truststore.certificate=" + trusted.certificatePem() };
    }

    @Test
    void bundleGivesTheSiloMutualTlsOnANetworkAddressAndTheGrpcServerItsMaterial() {
        this.contextRunner.withPropertyValues(bundle("cluster", SILO, CLUSTER))
            .withPropertyValues("quark.cluster.name=tls-" + System.nanoTime(), "quark.cluster.transport.ssl.bundle=cluster")
            .run((context) -> {
                assertThat(context).hasNotFailed().hasSingleBean(SiloTls.class);
                SiloTls tls = context.getBean(SiloTls.class);
                assertThat(tls.clientAuth()).isEqualTo(ClientAuth.REQUIRE);
                assertThat(tls.trustManager()).isNotNull();
                assertThat(context.getBean(GrpcTransport.class).tls()).isSameAs(tls);
                assertThat(context.getBean(GrpcTransport.class).security()).isEqualTo(TransportSecurity.TLS);
                assertThat(context.getBean(SiloMembership.class).settings().transportSecurity())
                    .as("what the silo's membership entry publishes").isEqualTo(TransportSecurity.TLS);
                GrpcServerProperties.Ssl server = context.getBean(GrpcServerProperties.class).getSsl();
                assertThat(server.getBundle()).isEqualTo(SiloTlsServerBundle.NAME);
                assertThat(server.getClientAuth()).isEqualTo(ClientAuth.REQUIRE);
                SslBundle served = context.getBean(SslBundles.class).getBundle(SiloTlsServerBundle.NAME);
                assertThat(served.getManagers().getKeyManagers()).containsExactly(tls.keyManager());
                assertThat(served.getManagers().getTrustManagers()).containsExactly(tls.trustManager());
                assertThat(presented(tls)).isEqualTo(SILO.certificate());
            });
    }

    @Test
    void reloadedBundleIsPresentedOnTheNextHandshake() {
        TestCertificate renewed = CLUSTER.issue("silo-0-renewed");
        this.contextRunner.withPropertyValues(bundle("cluster", SILO, CLUSTER))
            .withPropertyValues("quark.cluster.name=tls-" + System.nanoTime(), "quark.cluster.transport.ssl.bundle=cluster")
            .run((context) -> {
                SiloTls tls = context.getBean(SiloTls.class);
                KeyManagerOfServer server = new KeyManagerOfServer(context.getBean(SslBundles.class));
                assertThat(server.presented()).isEqualTo(SILO.certificate());
                context.getBean(SslBundleRegistry.class).updateBundle("cluster", pemBundle(renewed, CLUSTER));
                assertThat(presented(tls)).isEqualTo(renewed.certificate());
                assertThat(server.presented()).isEqualTo(renewed.certificate());
            });
    }

    @Test
    void bundleWithoutATrustStoreAsksNoClientCertificateByDefault() {
        String prefix = "spring.ssl.bundle.pem.server-only.";
        this.contextRunner
            .withPropertyValues(prefix + "keystore.certificate=" + SILO.certificatePem(),
                    prefix + "keystore.private-key=" + SILO.privateKeyPem(),
                    "quark.cluster.name=tls-" + System.nanoTime(), "quark.cluster.transport.ssl.bundle=server-only")
            .run((context) -> {
                assertThat(context.getBean(SiloTls.class).clientAuth()).isEqualTo(ClientAuth.NONE);
                assertThat(context.getBean(SiloTls.class).trustManager()).isNull();
            });
        this.contextRunner
            .withPropertyValues(prefix + "keystore.certificate=" + SILO.certificatePem(),
                    prefix + "keystore.private-key=" + SILO.privateKeyPem(), "quark.cluster.transport.ssl.bundle=server-only",
                    "quark.cluster.transport.ssl.client-auth=require")
            .run((context) -> assertThat(context).hasFailed()
                .getFailure()
                .rootCause()
                .hasMessageContaining("quark.cluster.transport.ssl.client-auth")
                .hasMessageContaining("SSL bundle 'server-only' has no trust store"));
    }

    @Test
    void clientAuthCanBeOptional() {
        this.contextRunner.withPropertyValues(bundle("cluster", SILO, CLUSTER))
            .withPropertyValues("quark.cluster.name=tls-" + System.nanoTime(), "quark.cluster.transport.ssl.bundle=cluster",
                    "quark.cluster.transport.ssl.client-auth=optional")
            .run((context) -> {
                assertThat(context.getBean(SiloTls.class).clientAuth()).isEqualTo(ClientAuth.OPTIONAL);
                assertThat(context.getBean(GrpcServerProperties.class).getSsl().getClientAuth())
                    .isEqualTo(ClientAuth.OPTIONAL);
            });
    }

    @Test
    void unknownBundleIsRefusedNamingItAndTheKnownOnes() {
        this.contextRunner.withPropertyValues(bundle("cluster", SILO, CLUSTER))
            .withPropertyValues("quark.cluster.transport.ssl.bundle=clutser")
            .run((context) -> assertThat(context).hasFailed()
                .getFailure()
                .rootCause()
                .hasMessageContaining("quark.cluster.transport.ssl.bundle")
                .hasMessageContaining("There is no SSL bundle 'clutser'")
                .hasMessageContaining("cluster"));
    }

    @Test
    void bundleWithoutAKeyStoreIsRefused() {
        this.contextRunner
            .withPropertyValues("spring.ssl.bundle.pem.trust-only.truststore.certificate=" + CLUSTER.certificatePem(),
                    "quark.cluster.transport.ssl.bundle=trust-only")
            .run((context) -> assertThat(context).hasFailed()
                .getFailure()
                .rootCause()
                .hasMessageContaining("SSL bundle 'trust-only' has no key store"));
    }

    @Test
    void bundleAndPlaintextTogetherAreRefused() {
        this.contextRunner.withPropertyValues(bundle("cluster", SILO, CLUSTER))
            .withPropertyValues("quark.cluster.transport.ssl.bundle=cluster", "quark.cluster.transport.plaintext=true")
            .run((context) -> assertThat(context).hasFailed()
                .getFailure()
                .rootCause()
                .hasMessageContaining("quark.cluster.transport.plaintext")
                .hasMessageContaining("both in plaintext and over TLS with quark.cluster.transport.ssl.bundle=cluster"));
    }

    @Test
    void theHostNameCheckCanBeTurnedOffWithAWarningAndABundleReloadStillReachesTheSilo(CapturedOutput output) {
        TestCertificate renewed = CLUSTER.issue("silo-0-renewed");
        this.contextRunner.withPropertyValues(bundle("cluster", SILO, CLUSTER))
            .withPropertyValues("quark.cluster.name=tls-" + System.nanoTime(), "quark.cluster.transport.ssl.bundle=cluster",
                    "quark.cluster.transport.ssl.verify-hostname=false")
            .run((context) -> {
                assertThat(context).hasNotFailed();
                SiloTls tls = context.getBean(SiloTls.class);
                assertThat(tls.checksHostname()).isFalse();
                assertThat(context.getBean(GrpcTransport.class).tls()).isSameAs(tls);
                assertThat(output).contains("quark.cluster.transport.ssl.verify-hostname=false")
                    .contains("SSL bundle 'cluster'");
                context.getBean(SslBundleRegistry.class).updateBundle("cluster", pemBundle(renewed, CLUSTER));
                assertThat(presented(tls)).isEqualTo(renewed.certificate());
            });
        this.contextRunner.withPropertyValues(bundle("cluster", SILO, CLUSTER))
            .withPropertyValues("quark.cluster.name=tls-" + System.nanoTime(), "quark.cluster.transport.ssl.bundle=cluster")
            .run((context) -> assertThat(context.getBean(SiloTls.class).checksHostname()).as("the default").isTrue());
    }

    @Test
    void verifyHostnameOffWithABundleWithoutATrustStoreIsRefused() {
        String prefix = "spring.ssl.bundle.pem.server-only.";
        this.contextRunner
            .withPropertyValues(prefix + "keystore.certificate=" + SILO.certificatePem(),
                    prefix + "keystore.private-key=" + SILO.privateKeyPem(), "quark.cluster.transport.ssl.bundle=server-only",
                    "quark.cluster.transport.ssl.verify-hostname=false")
            .run((context) -> assertThat(context).hasFailed()
                .getFailure()
                .rootCause()
                .hasMessageContaining("quark.cluster.transport.ssl.verify-hostname")
                .hasMessageContaining("SSL bundle 'server-only' has no trust store"));
    }

    @Test
    void verifyHostnameWithoutABundleIsRefused() {
        this.contextRunner
            .withPropertyValues("quark.cluster.transport.plaintext=true", "quark.cluster.transport.ssl.verify-hostname=false")
            .run((context) -> assertThat(context).hasFailed()
                .getFailure()
                .rootCause()
                .hasMessageContaining("quark.cluster.transport.ssl.verify-hostname")
                .hasMessageContaining("applies only with TLS"));
    }

    @Test
    void clientAuthWithoutABundleIsRefused() {
        this.contextRunner
            .withPropertyValues("quark.cluster.transport.plaintext=true", "quark.cluster.transport.ssl.client-auth=require")
            .run((context) -> assertThat(context).hasFailed()
                .getFailure()
                .rootCause()
                .hasMessageContaining("quark.cluster.transport.ssl.client-auth")
                .hasMessageContaining("applies only with TLS"));
    }

    @Test
    void anotherBundleForTheGrpcServerIsRefused() {
        this.contextRunner.withPropertyValues(bundle("cluster", SILO, CLUSTER))
            .withPropertyValues(bundle("web", SILO, CLUSTER))
            .withPropertyValues("quark.cluster.transport.ssl.bundle=cluster", "spring.grpc.server.ssl.bundle=web")
            .run((context) -> assertThat(context).hasFailed()
                .getFailure()
                .rootCause()
                .hasMessageContaining("spring.grpc.server.ssl.bundle")
                .hasMessageContaining("quark.cluster.transport.ssl.bundle=cluster: leave spring.grpc.server.ssl.bundle unset"));
    }

    @Test
    void networkAddressWithoutBundleNorPlaintextNamesTheBundleProperty() {
        this.contextRunner.run((context) -> assertThat(context).hasFailed()
            .getFailure()
            .rootCause()
            .hasMessageContaining("set quark.cluster.transport.ssl.bundle to the name of an SSL bundle for TLS"));
    }

    private static X509Certificate presented(SiloTls tls) {
        X509KeyManager keys = (X509KeyManager) tls.keyManager();
        return keys.getCertificateChain(keys.chooseServerAlias("EC", null, null))[0];
    }

    private static SslBundle pemBundle(TestCertificate certificate, TestCertificateAuthority trusted) {
        return SslBundle.of(new PemSslStoreBundle(
                PemSslStore.load(PemSslStoreDetails.forCertificate(certificate.certificatePem())
                    .withPrivateKey(certificate.privateKeyPem())),
                PemSslStore.load(PemSslStoreDetails.forCertificate(trusted.certificatePem()))), SslBundleKey.NONE);
    }

    /**
     * The key manager Spring Boot's gRPC server is given, read as the server reads it.
     */
    private record KeyManagerOfServer(SslBundles bundles) {

        X509Certificate presented() {
            X509KeyManager keys = (X509KeyManager) this.bundles.getBundle(SiloTlsServerBundle.NAME)
                .getManagers()
                .getKeyManagerFactory()
                .getKeyManagers()[0];
            return keys.getCertificateChain(keys.chooseServerAlias("EC", null, null))[0];
        }
    }
}
