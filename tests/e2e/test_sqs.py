"""SQS end to end: boto3 (JSON protocol), the AWS CLI, and raw query-protocol form posts with XML answers.
Time-based behaviour (visibility timeouts, delays, purge throttling) is driven by the server clock."""
import base64
import hashlib
import struct
import threading
import time
import uuid
import xml.etree.ElementTree as ET

import pytest
import requests
from botocore.exceptions import ClientError

from conftest import Eddy, error_of, wait_for

NS = {"q": "http://queue.amazonaws.com/doc/2012-11-05/"}


@pytest.fixture(scope="module")
def server():
    """An eddy of this module's own: tests here advance its clock."""
    s = Eddy(in_memory=True).start()
    yield s
    s.stop()


@pytest.fixture
def sqs(server):
    return server.client("sqs")


def qname():
    return "q-" + uuid.uuid4().hex[:12]


def make_queue(sqs, **attributes):
    return sqs.create_queue(QueueName=qname(), Attributes={k: str(v) for k, v in attributes.items()})["QueueUrl"]


def arn_of(sqs, url):
    return sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]


def advance(server, seconds):
    server.control("POST", "/_eddy/clock", {"advanceSeconds": seconds})


def md5_of_attributes(attributes):
    """The digest SQS computes over message attributes (what the Java and .NET SDKs verify)."""
    h = hashlib.md5()
    for name in sorted(attributes):
        value = attributes[name]
        for part in (name.encode(), value["DataType"].encode()):
            h.update(struct.pack("!I", len(part)) + part)
        if "BinaryValue" in value:
            h.update(b"\x02")
            data = value["BinaryValue"]
        else:
            h.update(b"\x01")
            data = value["StringValue"].encode()
        h.update(struct.pack("!I", len(data)) + data)
    return h.hexdigest()


def test_queue_lifecycle_urls_listing_and_attributes(sqs, server):
    name = qname()
    url = sqs.create_queue(QueueName=name, Attributes={"VisibilityTimeout": "45", "DelaySeconds": "2"})["QueueUrl"]
    assert url == f"{server.endpoint}/000000000000/{name}"
    # Same name and attributes: the same queue; a different value: QueueAlreadyExists.
    assert sqs.create_queue(QueueName=name, Attributes={"VisibilityTimeout": "45"})["QueueUrl"] == url
    with pytest.raises(ClientError) as e:
        sqs.create_queue(QueueName=name, Attributes={"VisibilityTimeout": "46"})
    assert error_of(e) == ("QueueAlreadyExists",
                           "A queue already exists with the same name and a different value for attribute VisibilityTimeout")
    assert isinstance(e.value, sqs.exceptions.QueueNameExists)
    assert sqs.get_queue_url(QueueName=name)["QueueUrl"] == url

    attrs = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    assert attrs["VisibilityTimeout"] == "45"
    assert attrs["DelaySeconds"] == "2"
    assert attrs["MaximumMessageSize"] == "262144"
    assert attrs["MessageRetentionPeriod"] == "345600"
    assert attrs["ReceiveMessageWaitTimeSeconds"] == "0"
    assert attrs["QueueArn"] == f"arn:aws:sqs:us-east-1:000000000000:{name}"
    assert attrs["ApproximateNumberOfMessages"] == "0"
    assert int(attrs["CreatedTimestamp"]) > 1_600_000_000
    assert "ApproximateNumberOfMessagesNotVisible" in attrs and "ApproximateNumberOfMessagesDelayed" in attrs
    only = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["DelaySeconds"])["Attributes"]
    assert only == {"DelaySeconds": "2"}

    sqs.set_queue_attributes(QueueUrl=url, Attributes={"DelaySeconds": "0", "MessageRetentionPeriod": "60"})
    attrs = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    assert (attrs["DelaySeconds"], attrs["MessageRetentionPeriod"]) == ("0", "60")

    prefix = "lst-" + uuid.uuid4().hex[:6]
    urls = [sqs.create_queue(QueueName=f"{prefix}-{i}")["QueueUrl"] for i in range(3)]
    assert sqs.list_queues(QueueNamePrefix=prefix)["QueueUrls"] == urls
    page = sqs.list_queues(QueueNamePrefix=prefix, MaxResults=2)
    assert page["QueueUrls"] == urls[:2]
    rest = sqs.list_queues(QueueNamePrefix=prefix, MaxResults=2, NextToken=page["NextToken"])
    assert rest["QueueUrls"] == urls[2:] and "NextToken" not in rest
    assert "QueueUrls" not in sqs.list_queues(QueueNamePrefix="nothing-starts-like-this")

    sqs.delete_queue(QueueUrl=url)
    with pytest.raises(sqs.exceptions.QueueDoesNotExist) as e:
        sqs.get_queue_url(QueueName=name)
    assert error_of(e) == ("AWS.SimpleQueueService.NonExistentQueue", "The specified queue does not exist.")
    assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    # A URL naming no account and queue names no queue (moto's AWS-verified tests).
    with pytest.raises(sqs.exceptions.QueueDoesNotExist) as e:
        sqs.get_queue_attributes(QueueUrl="http://whatever-incorrect-queue-address")
    assert error_of(e) == ("AWS.SimpleQueueService.NonExistentQueue", "The specified queue does not exist.")


def test_attribute_and_name_errors(sqs):
    with pytest.raises(ClientError) as e:
        sqs.create_queue(QueueName="bad name!")
    assert error_of(e) == ("InvalidParameterValue",
                           "Can only include alphanumeric characters, hyphens, or underscores. 1 to 80 in length")
    with pytest.raises(ClientError) as e:
        sqs.create_queue(QueueName=qname(), Attributes={"VisibilityTimeout": "43201"})
    assert error_of(e) == ("InvalidAttributeValue", "Invalid value for the parameter VisibilityTimeout.")
    with pytest.raises(ClientError) as e:
        sqs.create_queue(QueueName=qname(), Attributes={"Colour": "blue"})
    assert error_of(e) == ("InvalidAttributeName", "Unknown Attribute Colour.")
    url = make_queue(sqs)
    with pytest.raises(ClientError) as e:
        sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["Bogus"])
    assert error_of(e) == ("InvalidAttributeName", "Unknown Attribute Bogus.")
    with pytest.raises(ClientError) as e:
        sqs.set_queue_attributes(QueueUrl=url, Attributes={"QueueArn": "x"})
    assert error_of(e) == ("InvalidAttributeName", "Unknown Attribute QueueArn.")
    # A queue's type is fixed at creation; one SSE at a time (AWS's texts).
    with pytest.raises(ClientError) as e:
        sqs.set_queue_attributes(QueueUrl=url, Attributes={"FifoQueue": "true"})
    assert error_of(e) == ("InvalidAttributeName", "Unknown Attribute FifoQueue.")
    with pytest.raises(ClientError) as e:
        sqs.set_queue_attributes(QueueUrl=url, Attributes={"KmsMasterKeyId": "k", "SqsManagedSseEnabled": "true"})
    assert error_of(e) == ("InvalidAttributeName", "You can use one type of server-side encryption (SSE) at one "
                                                   "time. You can either enable KMS SSE or SQS SSE.")


def test_fifo_queues_are_refused(sqs):
    for kwargs in ({"QueueName": qname() + ".fifo", "Attributes": {"FifoQueue": "true"}},
                   {"QueueName": qname(), "Attributes": {"FifoQueue": "true"}}):
        with pytest.raises(ClientError) as e:
            sqs.create_queue(**kwargs)
        code, message = error_of(e)
        assert code == "AWS.SimpleQueueService.UnsupportedOperation"
        assert "FIFO queues are not supported" in message
    url = make_queue(sqs)
    with pytest.raises(ClientError) as e:
        sqs.send_message(QueueUrl=url, MessageBody="x", MessageDeduplicationId="d")
    assert error_of(e) == ("InvalidParameterValue",
                           "Value d for parameter MessageDeduplicationId is invalid. Reason: The request include "
                           "parameter that is not valid for this queue type.")
    # Message groups are fair queues' (standard queues, since 2025): kept and answered, checked as AWS does.
    sqs.send_message(QueueUrl=url, MessageBody="x", MessageGroupId="tenant-1")
    got = sqs.receive_message(QueueUrl=url, MessageSystemAttributeNames=["MessageGroupId"])["Messages"][0]
    assert got["Attributes"] == {"MessageGroupId": "tenant-1"}
    with pytest.raises(ClientError) as e:
        sqs.send_message(QueueUrl=url, MessageBody="x", MessageGroupId="a b")
    assert error_of(e) == ("InvalidParameterValue",
                           "Value a b for parameter MessageGroupId is invalid. Reason: MessageGroupId can only include "
                           "alphanumeric and punctuation characters. 1 to 128 in length.")


def test_send_receive_delete_with_attributes_and_digests(sqs):
    url = make_queue(sqs)
    attributes = {
        "colour": {"DataType": "String", "StringValue": "blue"},
        "count": {"DataType": "Number", "StringValue": "42"},
        "blob": {"DataType": "Binary", "BinaryValue": b"\x00\x01\xff"},
        "tagged": {"DataType": "String.custom", "StringValue": "t"},
    }
    sent = sqs.send_message(QueueUrl=url, MessageBody="héllo wörld", MessageAttributes=attributes)
    assert sent["MD5OfMessageBody"] == hashlib.md5("héllo wörld".encode()).hexdigest()
    assert sent["MD5OfMessageAttributes"] == md5_of_attributes(attributes)

    got = sqs.receive_message(QueueUrl=url, AttributeNames=["All"], MessageAttributeNames=["All"])["Messages"]
    assert len(got) == 1
    m = got[0]
    assert m["MessageId"] == sent["MessageId"]
    assert m["Body"] == "héllo wörld"
    assert m["MD5OfBody"] == sent["MD5OfMessageBody"]
    assert m["MessageAttributes"] == attributes
    assert m["MD5OfMessageAttributes"] == md5_of_attributes(attributes)
    assert m["Attributes"]["ApproximateReceiveCount"] == "1"
    assert m["Attributes"]["SenderId"] == "test"
    assert int(m["Attributes"]["SentTimestamp"]) <= int(m["Attributes"]["ApproximateFirstReceiveTimestamp"])

    # Selected message attributes only: by name and by prefix.
    sqs.change_message_visibility(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"], VisibilityTimeout=0)
    again = sqs.receive_message(QueueUrl=url, MessageAttributeNames=["xyz.*", "count"])["Messages"][0]
    assert set(again.get("MessageAttributes", {})) == {"count"}
    assert again["MD5OfMessageAttributes"] == md5_of_attributes({"count": attributes["count"]})
    # `col.*` is the prefix `col`, `*` all of them (AWS-recorded).
    for names, expected in [(["col.*"], {"colour"}), (["*"], set(attributes))]:
        sqs.change_message_visibility(QueueUrl=url, ReceiptHandle=again["ReceiptHandle"], VisibilityTimeout=0)
        again = sqs.receive_message(QueueUrl=url, MessageAttributeNames=names)["Messages"][0]
        assert set(again.get("MessageAttributes", {})) == expected
    assert "Attributes" not in again

    sqs.delete_message(QueueUrl=url, ReceiptHandle=again["ReceiptHandle"])
    # Deleting twice succeeds, as on AWS; a malformed handle does not.
    sqs.delete_message(QueueUrl=url, ReceiptHandle=again["ReceiptHandle"])
    with pytest.raises(ClientError) as e:
        sqs.delete_message(QueueUrl=url, ReceiptHandle="garbage")
    assert error_of(e) == ("ReceiptHandleIsInvalid", 'The input receipt handle "garbage" is not a valid receipt handle.')
    assert not sqs.receive_message(QueueUrl=url).get("Messages")


def test_message_errors(sqs):
    url = make_queue(sqs, MaximumMessageSize=1024)
    with pytest.raises(ClientError) as e:
        sqs.send_message(QueueUrl=url, MessageBody="x" * 1025)
    assert error_of(e) == ("InvalidParameterValue",
                           "One or more parameters are invalid. Reason: Message must be shorter than 1024 bytes.")
    with pytest.raises(ClientError) as e:
        sqs.send_message(QueueUrl=url, MessageBody="bad \x00 char")
    code, message = error_of(e)
    assert code == "InvalidMessageContents" and message.startswith("Invalid binary character '#x0'")
    with pytest.raises(ClientError) as e:
        sqs.send_message(QueueUrl=url, MessageBody="x", DelaySeconds=901)
    assert error_of(e) == ("InvalidParameterValue",
                           "Value 901 for parameter DelaySeconds is invalid. Reason: DelaySeconds must be >= 0 and <= 900.")
    with pytest.raises(ClientError) as e:
        sqs.send_message(QueueUrl=url, MessageBody="x",
                         MessageAttributes={"n": {"DataType": "Number", "StringValue": "abc"}})
    assert error_of(e) == ("InvalidParameterValue", "Can't cast the value of message (user) attribute 'n' to a number.")
    with pytest.raises(ClientError) as e:
        sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=11)
    assert error_of(e) == ("InvalidParameterValue",
                           "Value 11 for parameter MaxNumberOfMessages is invalid. Reason: Must be between 1 and 10, if provided.")
    with pytest.raises(sqs.exceptions.QueueDoesNotExist):
        sqs.send_message(QueueUrl=url + "-missing", MessageBody="x")


def test_batches(sqs):
    url = make_queue(sqs)
    out = sqs.send_message_batch(QueueUrl=url, Entries=[
        {"Id": "a", "MessageBody": "one"},
        {"Id": "b", "MessageBody": "two", "MessageAttributes": {"k": {"DataType": "String", "StringValue": "v"}}},
        {"Id": "c", "MessageBody": "three", "DelaySeconds": 1000},
    ])
    assert sorted(s["Id"] for s in out["Successful"]) == ["a", "b"]
    assert out["Failed"] == [{"Id": "c", "SenderFault": True, "Code": "InvalidParameterValue",
                              "Message": "Value 1000 for parameter DelaySeconds is invalid. Reason: DelaySeconds must be >= 0 and <= 900."}]
    b = next(s for s in out["Successful"] if s["Id"] == "b")
    assert b["MD5OfMessageBody"] == hashlib.md5(b"two").hexdigest()
    assert b["MD5OfMessageAttributes"] == md5_of_attributes({"k": {"DataType": "String", "StringValue": "v"}})

    got = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)["Messages"]
    assert sorted(m["Body"] for m in got) == ["one", "two"]
    changed = sqs.change_message_visibility_batch(QueueUrl=url, Entries=[
        {"Id": "x", "ReceiptHandle": got[0]["ReceiptHandle"], "VisibilityTimeout": 100},
        {"Id": "y", "ReceiptHandle": "nonsense", "VisibilityTimeout": 100},
    ])
    assert [s["Id"] for s in changed["Successful"]] == ["x"]
    assert changed["Failed"][0]["Id"] == "y" and changed["Failed"][0]["Code"] == "ReceiptHandleIsInvalid"
    deleted = sqs.delete_message_batch(QueueUrl=url, Entries=[
        {"Id": f"d{i}", "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(got)])
    assert len(deleted["Successful"]) == 2 and deleted["Failed"] == []

    with pytest.raises(ClientError) as e:
        sqs.send_message_batch(QueueUrl=url, Entries=[{"Id": "same", "MessageBody": "1"}, {"Id": "same", "MessageBody": "2"}])
    assert error_of(e) == ("AWS.SimpleQueueService.BatchEntryIdsNotDistinct", "Id same repeated.")
    assert isinstance(e.value, sqs.exceptions.BatchEntryIdsNotDistinct)
    with pytest.raises(ClientError) as e:
        sqs.send_message_batch(QueueUrl=url, Entries=[{"Id": str(i), "MessageBody": "m"} for i in range(11)])
    assert error_of(e) == ("AWS.SimpleQueueService.TooManyEntriesInBatchRequest",
                           "Maximum number of entries per request are 10. You have sent 11.")
    with pytest.raises(ClientError) as e:
        sqs.send_message_batch(QueueUrl=url, Entries=[{"Id": "no spaces", "MessageBody": "m"}])
    assert error_of(e)[0] == "AWS.SimpleQueueService.InvalidBatchEntryId"


def test_empty_batch_is_refused(server):
    sqs = server.client("sqs", validate=False)
    url = make_queue(sqs)
    with pytest.raises(ClientError) as e:
        sqs.delete_message_batch(QueueUrl=url, Entries=[])
    assert error_of(e) == ("AWS.SimpleQueueService.EmptyBatchRequest",
                           "There should be at least one DeleteMessageBatchRequestEntry in the request.")


def test_visibility_timeout_expires_by_the_server_clock(sqs, server):
    url = make_queue(sqs, VisibilityTimeout=600)
    sqs.send_message(QueueUrl=url, MessageBody="work")
    first = sqs.receive_message(QueueUrl=url, AttributeNames=["ApproximateReceiveCount"])["Messages"][0]
    assert not sqs.receive_message(QueueUrl=url).get("Messages")
    attrs = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    assert (attrs["ApproximateNumberOfMessages"], attrs["ApproximateNumberOfMessagesNotVisible"]) == ("0", "1")
    advance(server, 601)
    second = sqs.receive_message(QueueUrl=url, AttributeNames=["ApproximateReceiveCount"], VisibilityTimeout=30)["Messages"][0]
    assert second["MessageId"] == first["MessageId"]
    assert second["ReceiptHandle"] != first["ReceiptHandle"]
    assert second["Attributes"]["ApproximateReceiveCount"] == "2"
    # ChangeMessageVisibility extends it; 0 releases it at once.
    sqs.change_message_visibility(QueueUrl=url, ReceiptHandle=second["ReceiptHandle"], VisibilityTimeout=120)
    advance(server, 60)
    assert not sqs.receive_message(QueueUrl=url).get("Messages")
    sqs.change_message_visibility(QueueUrl=url, ReceiptHandle=second["ReceiptHandle"], VisibilityTimeout=0)
    third = sqs.receive_message(QueueUrl=url)["Messages"][0]
    assert third["MessageId"] == first["MessageId"]
    # A message visible again still takes its latest receipt handle, as on AWS (recorded: after the timeout ran
    # out), and is hidden again.
    sqs.change_message_visibility(QueueUrl=url, ReceiptHandle=third["ReceiptHandle"], VisibilityTimeout=0)
    sqs.change_message_visibility(QueueUrl=url, ReceiptHandle=third["ReceiptHandle"], VisibilityTimeout=10)
    assert not sqs.receive_message(QueueUrl=url).get("Messages")
    advance(server, 11)
    assert sqs.receive_message(QueueUrl=url)["Messages"][0]["MessageId"] == first["MessageId"]


def test_delay_and_retention_follow_the_server_clock(sqs, server):
    url = make_queue(sqs, MessageRetentionPeriod=60)
    sqs.send_message(QueueUrl=url, MessageBody="later", DelaySeconds=300)
    assert not sqs.receive_message(QueueUrl=url).get("Messages")
    attrs = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["ApproximateNumberOfMessagesDelayed"])["Attributes"]
    assert attrs == {"ApproximateNumberOfMessagesDelayed": "1"}
    sqs.send_message(QueueUrl=url, MessageBody="soon")
    advance(server, 61)
    # "soon" outlived the 60-second retention; "later" too (retention counts from the send).
    assert not sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages")
    url2 = make_queue(sqs)
    sqs.send_message(QueueUrl=url2, MessageBody="later", DelaySeconds=300)
    advance(server, 301)
    assert sqs.receive_message(QueueUrl=url2)["Messages"][0]["Body"] == "later"


def test_long_polling_is_woken_by_a_send(sqs, server):
    url = make_queue(sqs)
    poller = server.client("sqs")
    calling = threading.Event()
    result = {}

    def poll():
        calling.set()
        started = time.monotonic()
        result["reply"] = poller.receive_message(QueueUrl=url, WaitTimeSeconds=20)
        result["elapsed"] = time.monotonic() - started

    t = threading.Thread(target=poll)
    t.start()
    assert calling.wait(timeout=10)
    sqs.send_message(QueueUrl=url, MessageBody="wake up")
    t.join(timeout=25)
    assert not t.is_alive()
    assert result["reply"]["Messages"][0]["Body"] == "wake up"
    # Answered by the send, long before the 20-second wait ends.
    assert result["elapsed"] < 10, result["elapsed"]


def test_long_poll_ends_when_the_clock_passes_the_wait(sqs, server):
    url = make_queue(sqs)
    result = {}

    def poll():
        started = time.monotonic()
        result["reply"] = server.client("sqs").receive_message(QueueUrl=url, WaitTimeSeconds=20)
        result["elapsed"] = time.monotonic() - started

    t = threading.Thread(target=poll)
    t.start()
    deadline = time.monotonic() + 15
    while t.is_alive() and time.monotonic() < deadline:
        advance(server, 5)
        t.join(timeout=0.2)
    assert not t.is_alive()
    assert not result["reply"].get("Messages")
    assert result["elapsed"] < 15


def test_redrive_moves_messages_to_the_dead_letter_queue(sqs, server):
    dlq = make_queue(sqs)
    dlq_arn = arn_of(sqs, dlq)
    src = make_queue(sqs, VisibilityTimeout=10,
                     RedrivePolicy=f'{{"deadLetterTargetArn":"{dlq_arn}","maxReceiveCount":"2"}}')
    assert sqs.list_dead_letter_source_queues(QueueUrl=dlq)["queueUrls"] == [src]
    sent = sqs.send_message(QueueUrl=src, MessageBody="poison")["MessageId"]
    for attempt in (1, 2):
        m = sqs.receive_message(QueueUrl=src, AttributeNames=["ApproximateReceiveCount"])["Messages"][0]
        assert m["Attributes"]["ApproximateReceiveCount"] == str(attempt)
        advance(server, 11)
    # The third receive finds the count exhausted: the message moves instead of being delivered.
    assert not sqs.receive_message(QueueUrl=src).get("Messages")
    dead = sqs.receive_message(QueueUrl=dlq, AttributeNames=["All"])["Messages"][0]
    assert dead["MessageId"] == sent and dead["Body"] == "poison"
    assert dead["Attributes"]["DeadLetterQueueSourceArn"] == arn_of(sqs, src)

    with pytest.raises(ClientError) as e:
        make_queue(sqs, RedrivePolicy='{"deadLetterTargetArn":"arn:aws:sqs:us-east-1:000000000000:nope","maxReceiveCount":"3"}')
    code, message = error_of(e)
    assert code == "InvalidParameterValue" and message.endswith("Reason: Dead letter target does not exist.")
    # A malformed ARN is refused before any lookup (AWS-recorded).
    with pytest.raises(ClientError) as e:
        make_queue(sqs, RedrivePolicy='{"deadLetterTargetArn":"dummy","maxReceiveCount":"3"}')
    code, message = error_of(e)
    assert code == "InvalidParameterValue" and message.endswith("Reason: Invalid value for deadLetterTargetArn.")


def test_purge_and_its_throttle(sqs, server):
    url = make_queue(sqs)
    sqs.send_message_batch(QueueUrl=url, Entries=[{"Id": str(i), "MessageBody": "m"} for i in range(5)])
    sqs.purge_queue(QueueUrl=url)
    assert not sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages")
    with pytest.raises(ClientError) as e:
        sqs.purge_queue(QueueUrl=url)
    code, message = error_of(e)
    assert code == "AWS.SimpleQueueService.PurgeQueueInProgress" and "every 60 seconds" in message
    assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403
    advance(server, 61)
    sqs.purge_queue(QueueUrl=url)


def test_tags(sqs):
    url = sqs.create_queue(QueueName=qname(), tags={"team": "core"})["QueueUrl"]
    assert sqs.list_queue_tags(QueueUrl=url)["Tags"] == {"team": "core"}
    sqs.tag_queue(QueueUrl=url, Tags={"env": "test", "team": "edge"})
    assert sqs.list_queue_tags(QueueUrl=url)["Tags"] == {"team": "edge", "env": "test"}
    sqs.untag_queue(QueueUrl=url, TagKeys=["team", "env"])
    assert not sqs.list_queue_tags(QueueUrl=url).get("Tags")


def test_unimplemented_operations_are_refused(sqs):
    url = make_queue(sqs)
    with pytest.raises(ClientError) as e:
        sqs.add_permission(QueueUrl=url, Label="l", AWSAccountIds=["111122223333"], Actions=["SendMessage"])
    code, message = error_of(e)
    assert code == "AWS.SimpleQueueService.UnsupportedOperation" and "AddPermission" in message


def test_aws_cli_round_trip(server):
    name = qname()
    url = server.aws("sqs", "create-queue", "--queue-name", name, "--attributes", "VisibilityTimeout=60")["QueueUrl"]
    assert url.endswith(f"/000000000000/{name}")
    sent = server.aws("sqs", "send-message", "--queue-url", url, "--message-body", "from the cli",
                      "--message-attributes", '{"k":{"DataType":"String","StringValue":"v"}}')
    assert sent["MD5OfMessageBody"] == hashlib.md5(b"from the cli").hexdigest()
    got = server.aws("sqs", "receive-message", "--queue-url", url, "--attribute-names", "All",
                     "--message-attribute-names", "All", "--wait-time-seconds", "1")["Messages"][0]
    assert got["Body"] == "from the cli" and got["MessageAttributes"]["k"]["StringValue"] == "v"
    server.aws("sqs", "delete-message", "--queue-url", url, "--receipt-handle", got["ReceiptHandle"])
    attrs = server.aws("sqs", "get-queue-attributes", "--queue-url", url, "--attribute-names", "All")["Attributes"]
    assert attrs["VisibilityTimeout"] == "60" and attrs["ApproximateNumberOfMessages"] == "0"
    assert url in server.aws("sqs", "list-queues")["QueueUrls"]
    server.aws("sqs", "purge-queue", "--queue-url", url)
    server.aws("sqs", "delete-queue", "--queue-url", url)
    proc = server.aws("sqs", "get-queue-url", "--queue-name", name, check=False)
    assert proc.returncode != 0 and "AWS.SimpleQueueService.NonExistentQueue" in proc.stderr


def query(server, params, path="/", service="sqs"):
    """A raw query-protocol POST, signed-looking so that the credential scope names the service."""
    headers = {"Authorization": f"AWS4-HMAC-SHA256 Credential=test/20240101/us-east-1/{service}/aws4_request, "
                                "SignedHeaders=host, Signature=0"}
    r = requests.post(server.endpoint + path, data=params, headers=headers, timeout=30)
    return r.status_code, ET.fromstring(r.text)


def test_a_queue_url_answers_only_queue_actions(server):
    """AWS-recorded (LocalStack's validated query-API tests): a queue's URL fetched without an action is SQS's
    404 `UnknownOperationException`, in XML even to a client that accepts JSON; CreateQueue and ListQueues sent to a
    queue's URL are `InvalidAction`; the queue's own actions work there with GET too."""
    name = qname()
    url = server.client("sqs").create_queue(QueueName=name)["QueueUrl"]
    for headers in ({}, {"Accept": "application/json"}):
        r = requests.get(url, headers=headers, timeout=30)
        assert (r.status_code, r.text) == (404, "<UnknownOperationException/>")
    for action in ("CreateQueue", "ListQueues"):
        r = requests.get(url, params={"Action": action, "QueueName": qname()}, timeout=30)
        error = ET.fromstring(r.text).find("q:Error", NS)
        assert r.status_code == 400 and error.find("q:Code", NS).text == "InvalidAction"
        assert error.find("q:Message", NS).text == f"The action {action} is not valid for this endpoint."
    r = requests.get(url, params={"Action": "SendMessage", "MessageBody": "by GET"}, timeout=30)
    assert r.status_code == 200
    r = requests.get(url, params={"Action": "ReceiveMessage"}, timeout=30)
    assert ET.fromstring(r.text).find("q:ReceiveMessageResult/q:Message/q:Body", NS).text == "by GET"


def test_query_protocol_with_xml_answers(server):
    name = qname()
    status, doc = query(server, {"Action": "CreateQueue", "Version": "2012-11-05", "QueueName": name,
                                 "Attribute.1.Name": "VisibilityTimeout", "Attribute.1.Value": "40",
                                 "Tag.1.Key": "team", "Tag.1.Value": "core"})
    assert status == 200
    url = doc.find("q:CreateQueueResult/q:QueueUrl", NS).text
    assert url.endswith(f"/000000000000/{name}")
    assert doc.find("q:ResponseMetadata/q:RequestId", NS).text

    status, doc = query(server, {"Action": "SendMessage", "QueueUrl": url, "MessageBody": "a <b> & c\r\n",
                                 "MessageAttribute.1.Name": "colour",
                                 "MessageAttribute.1.Value.DataType": "String",
                                 "MessageAttribute.1.Value.StringValue": "blue"})
    assert status == 200
    result = doc.find("q:SendMessageResult", NS)
    assert result.find("q:MD5OfMessageBody", NS).text == hashlib.md5(b"a <b> & c\r\n").hexdigest()
    assert result.find("q:MD5OfMessageAttributes", NS).text == md5_of_attributes(
        {"colour": {"DataType": "String", "StringValue": "blue"}})

    # Posted to the queue's own URL, as older SDKs do: the path names the queue.
    path = "/000000000000/" + name
    status, doc = query(server, {"Action": "ReceiveMessage", "AttributeName.1": "All",
                                 "MessageAttributeName.1": "All", "MaxNumberOfMessages": "5"}, path=path)
    assert status == 200
    message = doc.find("q:ReceiveMessageResult/q:Message", NS)
    assert message.find("q:Body", NS).text == "a <b> & c\r\n"
    names = {a.find("q:Name", NS).text: a.find("q:Value", NS).text for a in message.findall("q:Attribute", NS)}
    assert names["ApproximateReceiveCount"] == "1"
    attr = message.find("q:MessageAttribute", NS)
    assert attr.find("q:Name", NS).text == "colour"
    assert attr.find("q:Value/q:StringValue", NS).text == "blue"

    status, doc = query(server, {"Action": "GetQueueAttributes", "QueueUrl": url, "AttributeName.1": "All"})
    attrs = {a.find("q:Name", NS).text: a.find("q:Value", NS).text
             for a in doc.findall("q:GetQueueAttributesResult/q:Attribute", NS)}
    assert attrs["VisibilityTimeout"] == "40"
    status, doc = query(server, {"Action": "ListQueueTags", "QueueUrl": url})
    tag = doc.find("q:ListQueueTagsResult/q:Tag", NS)
    assert (tag.find("q:Key", NS).text, tag.find("q:Value", NS).text) == ("team", "core")

    status, doc = query(server, {"Action": "SendMessageBatch", "QueueUrl": url,
                                 "SendMessageBatchRequestEntry.1.Id": "one",
                                 "SendMessageBatchRequestEntry.1.MessageBody": "1",
                                 "SendMessageBatchRequestEntry.2.Id": "two",
                                 "SendMessageBatchRequestEntry.2.MessageBody": "2",
                                 "SendMessageBatchRequestEntry.2.DelaySeconds": "5000"})
    assert status == 200
    ok = doc.findall("q:SendMessageBatchResult/q:SendMessageBatchResultEntry", NS)
    bad = doc.findall("q:SendMessageBatchResult/q:BatchResultErrorEntry", NS)
    assert [e.find("q:Id", NS).text for e in ok] == ["one"]
    assert bad[0].find("q:Code", NS).text == "InvalidParameterValue"
    assert bad[0].find("q:SenderFault", NS).text == "true"

    status, doc = query(server, {"Action": "GetQueueUrl", "QueueName": "does-not-exist"})
    assert status == 400
    error = doc.find("q:Error", NS)
    assert error.find("q:Type", NS).text == "Sender"
    assert error.find("q:Code", NS).text == "AWS.SimpleQueueService.NonExistentQueue"
    assert error.find("q:Message", NS).text == "The specified queue does not exist for this wsdl version."
    assert doc.find("q:RequestId", NS).text

    status, doc = query(server, {"Action": "ReceiveMessage", "QueueUrl": url, "MaxNumberOfMessages": "many"})
    assert status == 400 and doc.find("q:Error/q:Code", NS).text == "InvalidParameterValue"
    status, doc = query(server, {"Action": "SendMessage", "QueueUrl": url})
    assert status == 400
    assert doc.find("q:Error/q:Code", NS).text == "MissingParameter"
    assert doc.find("q:Error/q:Message", NS).text == "The request must contain the parameter MessageBody."
    status, doc = query(server, {"Action": "Frobnicate"})
    assert status == 400 and doc.find("q:Error/q:Code", NS).text == "InvalidAction"

    status, _ = query(server, {"Action": "DeleteQueue", "QueueUrl": url})
    assert status == 200


def test_regions_and_accounts_are_separate(server):
    east = server.client("sqs", region="us-east-1")
    west = server.client("sqs", region="eu-west-1")
    other = server.client("sqs", key="111122223333")
    name = qname()
    east.create_queue(QueueName=name)
    with pytest.raises(west.exceptions.QueueDoesNotExist):
        west.get_queue_url(QueueName=name)
    with pytest.raises(other.exceptions.QueueDoesNotExist):
        other.get_queue_url(QueueName=name)
    url = other.create_queue(QueueName=name)["QueueUrl"]
    assert "/111122223333/" in url
    assert arn_of(west, west.create_queue(QueueName=name)["QueueUrl"]) == f"arn:aws:sqs:eu-west-1:000000000000:{name}"


def test_queues_and_messages_survive_kill_9(fresh_eddy):
    sqs = fresh_eddy.client("sqs")
    dlq = sqs.create_queue(QueueName="durable-dlq")["QueueUrl"]
    url = sqs.create_queue(QueueName="durable", Attributes={
        "VisibilityTimeout": "300",
        "RedrivePolicy": f'{{"deadLetterTargetArn":"{arn_of(sqs, dlq)}","maxReceiveCount":"5"}}'},
        tags={"k": "v"})["QueueUrl"]
    for i in range(20):
        sqs.send_message(QueueUrl=url, MessageBody=f"m{i}",
                         MessageAttributes={"i": {"DataType": "Number", "StringValue": str(i)}})
    inflight = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=3)["Messages"]
    sqs.delete_message(QueueUrl=url, ReceiptHandle=inflight[0]["ReceiptHandle"])
    fresh_eddy.kill()
    fresh_eddy.start()
    sqs = fresh_eddy.client("sqs")
    url = sqs.get_queue_url(QueueName="durable")["QueueUrl"]
    attrs = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    assert attrs["VisibilityTimeout"] == "300" and "RedrivePolicy" in attrs
    assert attrs["ApproximateNumberOfMessages"] == "17"
    assert attrs["ApproximateNumberOfMessagesNotVisible"] == "2"
    assert sqs.list_queue_tags(QueueUrl=url)["Tags"] == {"k": "v"}
    # Receipt handles from before the restart still work.
    sqs.delete_message(QueueUrl=url, ReceiptHandle=inflight[1]["ReceiptHandle"])
    bodies = set()
    while True:
        got = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, MessageAttributeNames=["All"],
                                  AttributeNames=["ApproximateReceiveCount"]).get("Messages", [])
        if not got:
            break
        for m in got:
            assert m["MessageAttributes"]["i"]["StringValue"] == m["Body"][1:]
            bodies.add(m["Body"])
    assert bodies == {f"m{i}" for i in range(20)} - {m["Body"] for m in inflight}
    # Sending after the restart never reuses an id.
    new_id = sqs.send_message(QueueUrl=url, MessageBody="after")["MessageId"]
    assert new_id not in {m["MessageId"] for m in inflight}
