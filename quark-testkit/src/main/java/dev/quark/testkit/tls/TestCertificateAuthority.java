package dev.quark.testkit.tls;

import java.math.BigInteger;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicLong;

import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;

import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.CertIOException;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/**
 * A certificate authority made at test time (an EC P-256 key and a self-signed certificate valid for a day), that
 * issues silo certificates for TLS between silos. Each authority is new: silos with certificates of two
 * authorities do not trust each other unless told to.
 * <pre>{@code
 * TestCertificateAuthority cluster = TestCertificateAuthority.create("cluster");
 * TestCertificate silo = cluster.issue("silo-0");      // valid for 127.0.0.1, ::1 and localhost
 * SiloTls tls = SiloTls.of(silo.keyManagers(), cluster.trustManagers(), ClientAuth.REQUIRE);
 * }</pre>
 * Needs {@code org.bouncycastle:bcpkix-jdk18on} on the test class path.
 */
public final class TestCertificateAuthority {

    private static final AtomicLong SERIALS = new AtomicLong(System.currentTimeMillis());

    private final String name;

    private final KeyPair keys;

    private final X509Certificate certificate;

    private TestCertificateAuthority(String name, KeyPair keys, X509Certificate certificate) {
        this.name = name;
        this.keys = keys;
        this.certificate = certificate;
    }

    /**
     * Creates a new authority.
     * @param name its common name
     * @return the authority
     */
    public static TestCertificateAuthority create(String name) {
        Objects.requireNonNull(name, "name must not be null");
        KeyPair keys = newKeys();
        X500Name subject = new X500Name("CN=" + name);
        try {
            X509v3CertificateBuilder builder = builder(subject, subject, keys.getPublic());
            builder.addExtension(Extension.basicConstraints, true, new BasicConstraints(true));
            builder.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign));
            return new TestCertificateAuthority(name, keys, sign(builder, keys.getPrivate()));
        }
        catch (CertIOException ex) {
            throw new IllegalStateException("Cannot make the test certificate authority " + name, ex);
        }
    }

    /**
     * Issues a certificate for a silo, valid for a day as server and client, for the loopback addresses
     * {@code 127.0.0.1} and {@code ::1} and the name {@code localhost}.
     * @param commonName the certificate's common name
     * @return the certificate with its private key
     */
    public TestCertificate issue(String commonName) {
        return issue(commonName, new GeneralName[] { new GeneralName(GeneralName.iPAddress, "127.0.0.1"),
                new GeneralName(GeneralName.iPAddress, "::1"), new GeneralName(GeneralName.dNSName, "localhost") });
    }

    /**
     * Issues a certificate for a silo, valid for a day as server and client, that names only a host name, not the
     * loopback addresses: one issued to a service name, such as {@code silos.shop.internal}, which a silo that
     * connects to {@code 127.0.0.1} accepts only without the host name check.
     * @param commonName the certificate's common name
     * @param hostName the one host name it names
     * @return the certificate with its private key
     */
    public TestCertificate issueNaming(String commonName, String hostName) {
        Objects.requireNonNull(hostName, "hostName must not be null");
        return issue(commonName, new GeneralName[] { new GeneralName(GeneralName.dNSName, hostName) });
    }

    /**
     * Issues a certificate, valid for a day as server and client, that names exactly the given host names and IP
     * addresses; with neither, it has no subject alternative names, and only its common name names it.
     * @param commonName the certificate's common name
     * @param dnsNames its DNS subject alternative names ({@code *.shop.internal} included)
     * @param ipAddresses its IP address subject alternative names, as literals
     * @return the certificate with its private key
     */
    public TestCertificate issueNaming(String commonName, List<String> dnsNames, List<String> ipAddresses) {
        List<GeneralName> names = new ArrayList<>();
        dnsNames.forEach((name) -> names.add(new GeneralName(GeneralName.dNSName, name)));
        ipAddresses.forEach((address) -> names.add(new GeneralName(GeneralName.iPAddress, address)));
        return issue(commonName, names.toArray(GeneralName[]::new));
    }

    private TestCertificate issue(String commonName, GeneralName[] names) {
        Objects.requireNonNull(commonName, "commonName must not be null");
        KeyPair siloKeys = newKeys();
        try {
            X509v3CertificateBuilder builder = builder(new X500Name("CN=" + this.name),
                    new X500Name("CN=" + commonName), siloKeys.getPublic());
            builder.addExtension(Extension.basicConstraints, true, new BasicConstraints(false));
            builder.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.digitalSignature));
            builder.addExtension(Extension.extendedKeyUsage, false, new ExtendedKeyUsage(
                    new KeyPurposeId[] { KeyPurposeId.id_kp_serverAuth, KeyPurposeId.id_kp_clientAuth }));
            if (names.length > 0) {
                builder.addExtension(Extension.subjectAlternativeName, false, new GeneralNames(names));
            }
            return new TestCertificate(siloKeys.getPrivate(), sign(builder, this.keys.getPrivate()), this.certificate);
        }
        catch (CertIOException ex) {
            throw new IllegalStateException("Cannot issue the test certificate " + commonName, ex);
        }
    }

    /**
     * Returns the authority's own certificate.
     * @return the self-signed certificate
     */
    public X509Certificate certificate() {
        return this.certificate;
    }

    /**
     * Returns the authority's certificate in PEM, as a Spring SSL bundle's trust store takes it.
     * @return the PEM text
     */
    public String certificatePem() {
        return Pem.certificate(this.certificate);
    }

    /**
     * Returns trust managers that trust this authority only.
     * @return the trust managers
     */
    public TrustManager[] trustManagers() {
        try {
            KeyStore store = KeyStore.getInstance("PKCS12");
            store.load(null, null);
            store.setCertificateEntry(this.name, this.certificate);
            TrustManagerFactory factory = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            factory.init(store);
            return factory.getTrustManagers();
        }
        catch (GeneralSecurityException | java.io.IOException ex) {
            throw new IllegalStateException("Cannot make trust managers for the test authority " + this.name, ex);
        }
    }

    @Override
    public String toString() {
        return "TestCertificateAuthority[" + this.name + "]";
    }

    private static X509v3CertificateBuilder builder(X500Name issuer, X500Name subject, PublicKey key) {
        Instant now = Instant.now();
        return new JcaX509v3CertificateBuilder(issuer, BigInteger.valueOf(SERIALS.incrementAndGet()),
                Date.from(now.minus(Duration.ofHours(1))), Date.from(now.plus(Duration.ofDays(1))), subject, key);
    }

    private static X509Certificate sign(X509v3CertificateBuilder builder, PrivateKey issuerKey) {
        try {
            return new JcaX509CertificateConverter()
                .getCertificate(builder.build(new JcaContentSignerBuilder("SHA256withECDSA").build(issuerKey)));
        }
        catch (OperatorCreationException | GeneralSecurityException ex) {
            throw new IllegalStateException("Cannot sign a test certificate", ex);
        }
    }

    private static KeyPair newKeys() {
        try {
            KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
            generator.initialize(256);
            return generator.generateKeyPair();
        }
        catch (GeneralSecurityException ex) {
            throw new IllegalStateException("Cannot make an EC key pair", ex);
        }
    }
}
